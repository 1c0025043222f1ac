package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

var testTokenKey = []byte("MySuperSecretKeyForParamsToken12") // 32 bytes, guacamole-lite README style

func samplePayload() TokenPayload {
	return TokenPayload{Connection: TokenConnection{
		Type: "vnc",
		Settings: map[string]any{
			"hostname": "127.0.0.1", "port": "5901", "password": "s3cret",
		},
	}}
}

func TestTokenRoundTrip(t *testing.T) {
	tok, err := EncryptToken(testTokenKey, samplePayload())
	if err != nil {
		t.Fatal(err)
	}
	p, err := DecryptToken(testTokenKey, tok)
	if err != nil {
		t.Fatalf("DecryptToken: %v", err)
	}
	want := map[string]string{"hostname": "127.0.0.1", "port": "5901", "password": "s3cret"}
	if p.Connection.Type != "vnc" || !maps.Equal(p.Connection.Params(), want) {
		t.Fatalf("payload = %+v", p)
	}
	tok2, _ := EncryptToken(testTokenKey, samplePayload())
	if tok == tok2 {
		t.Fatal("two encryptions gave the same token: IV not random")
	}
}

// makeToken assembles a token from raw parts so tests can break each layer.
func makeToken(iv, value []byte) string {
	env, _ := json.Marshal(tokenEnvelope{IV: base64.StdEncoding.EncodeToString(iv), Value: base64.StdEncoding.EncodeToString(value)})
	return base64.StdEncoding.EncodeToString(env)
}

// splitToken undoes makeToken for a token from EncryptToken.
func splitToken(tok string) (iv, ct []byte) {
	raw, _ := base64.StdEncoding.DecodeString(tok)
	var env tokenEnvelope
	_ = json.Unmarshal(raw, &env) // EncryptToken output always parses
	iv, _ = base64.StdEncoding.DecodeString(env.IV)
	ct, _ = base64.StdEncoding.DecodeString(env.Value)
	return iv, ct
}

func TestDecryptTokenRefused(t *testing.T) {
	good, err := EncryptToken(testTokenKey, samplePayload())
	if err != nil {
		t.Fatal(err)
	}
	iv, ct := splitToken(good)
	flip := func(b []byte, i int) []byte { c := append([]byte(nil), b...); c[i] ^= 0x80; return c }
	noConn, _ := EncryptToken(testTokenKey, TokenPayload{})

	tests := []struct {
		name  string
		key   []byte
		token string
	}{
		{"wrong key", []byte("0123456789abcdef0123456789abcdef"), good},
		{"tampered last block", testTokenKey, makeToken(iv, flip(ct, len(ct)-1))},
		{"tampered first block", testTokenKey, makeToken(iv, flip(ct, 3))},
		{"tampered iv", testTokenKey, makeToken(flip(iv, 2), ct)},
		{"truncated ciphertext", testTokenKey, makeToken(iv, ct[:len(ct)-16])},
		{"partial block", testTokenKey, makeToken(iv, ct[:len(ct)-3])},
		{"short iv", testTokenKey, makeToken(iv[:8], ct)},
		{"empty value", testTokenKey, makeToken(iv, nil)},
		{"not base64", testTokenKey, "%%%"},
		{"not json", testTokenKey, base64.StdEncoding.EncodeToString([]byte("hello"))},
		{"empty", testTokenKey, ""},
		{"no connection", testTokenKey, noConn},
		{"too long", testTokenKey, strings.Repeat("A", maxTokenLen+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := DecryptToken(tt.key, tt.token)
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("DecryptToken = %+v, %v; want ErrBadToken", p, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Fatal("error leaks plaintext")
			}
		})
	}
	if _, err := DecryptToken([]byte("short"), good); err == nil || errors.Is(err, ErrBadToken) {
		t.Fatalf("short key: err = %v, want key-size error", err)
	}
}

func TestDecryptTokenLenientBase64(t *testing.T) {
	good, _ := EncryptToken(testTokenKey, samplePayload())
	raw, _ := base64.StdEncoding.DecodeString(good)
	variants := map[string]string{
		"url alphabet":      base64.RawURLEncoding.EncodeToString(raw),
		"unpadded":          strings.TrimRight(good, "="),
		"plus became space": strings.ReplaceAll(good, "+", " "),
	}
	for name, tok := range variants {
		if _, err := DecryptToken(testTokenKey, tok); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestTokenParams(t *testing.T) {
	var p TokenPayload
	in := `{"connection":{"type":"rdp","guacdHost":"10.0.0.5","guacdPort":"4823","settings":{
		"port":3389,"ignore-cert":true,"enable-drive":false,"dpi":96.5,"audio":["audio/L16","audio/L8"],"nothing":null,"hostname":"h"}}}`
	if err := json.Unmarshal([]byte(in), &p); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"port": "3389", "ignore-cert": "true", "enable-drive": "false", "dpi": "96.5", "audio": "audio/L16,audio/L8", "hostname": "h"}
	if got := p.Connection.Params(); !maps.Equal(got, want) {
		t.Fatalf("Params = %v, want %v", got, want)
	}
	if p.Connection.GuacdPort != 4823 || p.Connection.GuacdHost != "10.0.0.5" {
		t.Fatalf("guacd = %s:%d", p.Connection.GuacdHost, p.Connection.GuacdPort)
	}
	for _, bad := range []string{`{"connection":{"guacdPort":"x"}}`, `{"connection":{"guacdPort":70000}}`} {
		if err := json.Unmarshal([]byte(bad), &p); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestTokenAuthenticator(t *testing.T) {
	good, _ := EncryptToken(testTokenKey, samplePayload())
	a := &Token{Key: testTokenKey}
	tests := []struct {
		name       string
		query      string
		wantErr    bool
		wantNoCred bool
	}{
		{name: "valid", query: "token=" + url.QueryEscape(good) + "&GUAC_WIDTH=800"},
		{name: "missing", query: "GUAC_ID=1", wantErr: true, wantNoCred: true},
		{name: "forged", query: "token=" + url.QueryEscape(base64.StdEncoding.EncodeToString([]byte(`{"iv":"AAAAAAAAAAAAAAAAAAAAAA==","value":"AAAAAAAAAAAAAAAAAAAAAA=="}`))), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/websocket-tunnel?"+tt.query, nil)
			id, err := a.Authenticate(r)
			if !tt.wantErr {
				if err != nil || id.Token == nil || id.Token.Connection.Type != "vnc" || id.Username != "" {
					t.Fatalf("Authenticate = %+v, %v", id, err)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized || errors.Is(err, ErrNoCredentials) != tt.wantNoCred {
				t.Fatalf("err = %v, want 401 (no-credentials=%v)", err, tt.wantNoCred)
			}
		})
	}
}

func FuzzDecryptToken(f *testing.F) {
	good, _ := EncryptToken(testTokenKey, samplePayload())
	iv, ct := splitToken(good)
	f.Add(good)
	f.Add(makeToken(iv, ct[:16]))
	f.Add(makeToken(iv[:3], ct))
	f.Add(base64.StdEncoding.EncodeToString([]byte(`{"iv":"","value":""}`)))
	f.Add("%%%")
	f.Add("")
	f.Fuzz(func(t *testing.T, tok string) {
		p, err := DecryptToken(testTokenKey, tok)
		if err != nil {
			if !errors.Is(err, ErrBadToken) {
				t.Fatalf("error %v is not ErrBadToken", err)
			}
			return
		}
		// Anything accepted must survive a re-encryption round trip.
		again, err := EncryptToken(testTokenKey, p)
		if err != nil {
			t.Fatalf("re-encrypt: %v", err)
		}
		q, err := DecryptToken(testTokenKey, again)
		if err != nil || q.Connection.Type != p.Connection.Type || q.Connection.Join != p.Connection.Join ||
			!maps.Equal(q.Connection.Params(), p.Connection.Params()) {
			t.Fatalf("round trip changed payload: %+v -> %+v (%v)", p, q, err)
		}
	})
}
