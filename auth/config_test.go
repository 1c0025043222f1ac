package auth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestDevUser(t *testing.T) {
	tests := []struct {
		listen string
		ok     bool
	}{
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"[::1]:8080", true},
		{"localhost:8080", true},
		{"0.0.0.0:8080", false},
		{":8080", false},
		{"[::]:8080", false},
		{"192.168.1.10:8080", false},
		{"example.com:8080", false},
		{"127.0.0.1", false}, // no port: not a listen address
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		d, err := NewDevUser("dev@example.com", tt.listen, slog.New(slog.NewTextHandler(&logs, nil)))
		if (err == nil) != tt.ok {
			t.Errorf("NewDevUser(%q) err = %v, want ok=%v", tt.listen, err, tt.ok)
			continue
		}
		if !tt.ok {
			if !strings.Contains(err.Error(), "dev_user") {
				t.Errorf("error %q does not name dev_user", err)
			}
			continue
		}
		if !strings.Contains(logs.String(), "level=WARN") {
			t.Errorf("%s: no warning logged", tt.listen)
		}
		id, err := d.Authenticate(httptest.NewRequest(http.MethodGet, "/", nil))
		if err != nil || id.Username != "dev@example.com" {
			t.Errorf("Authenticate = %+v, %v", id, err)
		}
	}
}

func TestNewConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string
		listen string
		want   string
	}{
		{"nothing configured", `{}`, "0.0.0.0:8080", "trusted_proxies"},
		{"header without proxies", `{header: Remote-User, token_key: "` + string(testTokenKey) + `"}`, "0.0.0.0:8080", "trusted_proxies"},
		{"bad proxy", `{trusted_proxies: [10.0.0.0/8, bogus]}`, "0.0.0.0:8080", "trusted_proxies[1]"},
		{"dev user on all interfaces", `{dev_user: me}`, "0.0.0.0:8080", "dev_user"},
		{"dev user with jwt", `{dev_user: me, jwt: {jwks_url: "https://a", audience: a, issuer: a}}`, "127.0.0.1:8080", "dev_user"},
		{"jwt without audience", `{jwt: {jwks_url: "https://a", issuer: a}}`, "0.0.0.0:8080", "jwt.audience"},
		{"jwt hmac", `{jwt: {jwks_url: "https://a", audience: a, issuer: a, algorithms: [HS256]}}`, "0.0.0.0:8080", "jwt.algorithms[0]"},
		{"bad token key", `{token_key: short, trusted_proxies: [127.0.0.1]}`, "0.0.0.0:8080", "token_key"},
	}
	for _, tt := range tests {
		var cfg Config
		if err := yaml.Unmarshal([]byte(tt.yaml), &cfg); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		_, err := New(cfg, tt.listen, slog.New(slog.DiscardHandler))
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ConfigError naming %q", tt.name, err, tt.want)
		}
	}
}

// TestNewBuildsChain checks what New builds for each configuration by
// running requests through the result.
func TestNewBuildsChain(t *testing.T) {
	key := hex.EncodeToString(testTokenKey)
	tok, _ := EncryptToken(testTokenKey, samplePayload())
	tests := []struct {
		name     string
		yaml     string
		listen   string
		remote   string
		query    string
		header   string
		wantUser string // "" with wantTok=false means refused
		wantTok  bool
	}{
		{name: "header via trusted proxy", yaml: `{trusted_proxies: [10.0.0.0/8]}`, remote: "10.0.0.2:1", header: "a@example.com", wantUser: "a@example.com"},
		{name: "header via untrusted peer", yaml: `{trusted_proxies: [10.0.0.0/8]}`, remote: "192.0.2.2:1", header: "a@example.com"},
		{name: "token first", yaml: `{trusted_proxies: [10.0.0.0/8], token_key: "` + key + `"}`, remote: "10.0.0.2:1", query: "token=" + url.QueryEscape(tok), header: "a@example.com", wantTok: true},
		{name: "no token falls through", yaml: `{trusted_proxies: [10.0.0.0/8], token_key: "` + key + `"}`, remote: "10.0.0.2:1", header: "a@example.com", wantUser: "a@example.com"},
		{name: "bad token does not fall through", yaml: `{trusted_proxies: [10.0.0.0/8], token_key: "` + key + `"}`, remote: "10.0.0.2:1", query: "token=AAAA", header: "a@example.com"},
		{name: "token only", yaml: `{token_key: "` + string(testTokenKey) + `"}`, remote: "192.0.2.2:1", query: "token=" + url.QueryEscape(tok), wantTok: true},
		{name: "token only, none given", yaml: `{token_key: "` + string(testTokenKey) + `"}`, remote: "192.0.2.2:1", header: "a@example.com"},
		{name: "dev user", yaml: `{dev_user: dev}`, listen: "127.0.0.1:8080", remote: "127.0.0.1:1", wantUser: "dev"},
		{name: "jwt required when configured", yaml: `{trusted_proxies: [10.0.0.0/8], jwt: {jwks_url: "https://a", audience: a, issuer: a}}`, remote: "10.0.0.2:1", header: "a@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var cfg Config
			if err := yaml.Unmarshal([]byte(tt.yaml), &cfg); err != nil {
				t.Fatal(err)
			}
			listen := tt.listen
			if listen == "" {
				listen = "0.0.0.0:8080"
			}
			a, err := New(cfg, listen, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			r := httptest.NewRequest(http.MethodGet, "/websocket-tunnel?"+tt.query, nil)
			r.RemoteAddr = tt.remote
			if tt.header != "" {
				r.Header.Set(DefaultHeader, tt.header)
			}
			id, err := a.Authenticate(r)
			switch {
			case tt.wantTok:
				if err != nil || id.Token == nil {
					t.Fatalf("want token identity, got %+v, %v", id, err)
				}
			case tt.wantUser != "":
				if err != nil || id.Username != tt.wantUser || id.Token != nil {
					t.Fatalf("want user %q, got %+v, %v", tt.wantUser, id, err)
				}
			default:
				var ae *Error
				if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
					t.Fatalf("want 401, got %+v, %v", id, err)
				}
			}
		})
	}
}

func TestParseTokenKey(t *testing.T) {
	want := string(testTokenKey)
	for _, in := range []string{hex.EncodeToString(testTokenKey), "TXlTdXBlclNlY3JldEtleUZvclBhcmFtc1Rva2VuMTI=", want} {
		got, err := ParseTokenKey(in)
		if err != nil || string(got) != want {
			t.Errorf("ParseTokenKey(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", strings.Repeat("z", 64)} {
		if _, err := ParseTokenKey(in); err == nil {
			t.Errorf("ParseTokenKey(%q) accepted", in)
		}
	}
}

func TestConfigYAMLDurations(t *testing.T) {
	var cfg Config
	if err := yaml.Unmarshal([]byte("jwt: {leeway: 45s, refresh_interval: 1m}"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.JWT.Leeway.Seconds() != 45 || cfg.JWT.RefreshInterval.Seconds() != 60 {
		t.Fatalf("durations = %v, %v", cfg.JWT.Leeway, cfg.JWT.RefreshInterval)
	}
}
