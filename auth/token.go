package auth

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// TokenKeySize is the AES-256 key length guacamole-lite uses.
const TokenKeySize = 32

// maxTokenLen bounds a token before any decoding work; real tokens are a
// few hundred bytes to a few KiB.
const maxTokenLen = 64 << 10

// TokenPayload is the decrypted content of a guacamole-lite token.
type TokenPayload struct {
	Connection TokenConnection `json:"connection"`
	// Query holds extra values some apps put next to "connection".
	Query map[string]any `json:"query,omitempty"`
}

// TokenConnection says what to connect to: a protocol (Type) with guacd
// arguments (Settings), or an existing guacd connection to join.
type TokenConnection struct {
	Type      string         `json:"type,omitempty"` // "vnc", "ssh", "rdp", "telnet", ...
	Join      string         `json:"join,omitempty"` // "$<guacd connection id>" to join instead
	Settings  map[string]any `json:"settings,omitempty"`
	GuacdHost string         `json:"guacdHost,omitempty"`
	GuacdPort TokenPort      `json:"guacdPort,omitempty"`
}

// TokenPort is a port that apps write either as a JSON number or a string.
type TokenPort int

// UnmarshalJSON accepts 4822 and "4822".
func (p *TokenPort) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("auth: guacdPort %s is not a port number", b)
	}
	*p = TokenPort(n)
	return nil
}

// Params returns Settings as guacd argument strings: strings verbatim,
// numbers in decimal, booleans as "true"/"false", arrays comma-joined (as
// JavaScript's Array.toString does), nulls dropped.
func (c TokenConnection) Params() map[string]string {
	out := make(map[string]string, len(c.Settings))
	for k, v := range c.Settings {
		if s, ok := settingString(v); ok {
			out[k] = s
		}
	}
	return out
}

func settingString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatInt(int64(v), 10), true
		}
		return strconv.FormatFloat(v, 'g', -1, 64), true
	case []any:
		parts := make([]string, 0, len(v))
		for _, e := range v {
			s, _ := settingString(e)
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), true
	}
	return "", false
}

// tokenEnvelope is the outer JSON of a token.
type tokenEnvelope struct {
	IV    string `json:"iv"`
	Value string `json:"value"`
}

// ErrBadToken is the cause of every DecryptToken failure. Details are
// deliberately vague: CBC without a MAC is a padding oracle if callers can
// tell padding errors from JSON errors.
var ErrBadToken = errors.New("auth: token validation failed")

// DecryptToken decrypts a guacamole-lite token: base64 of the JSON
// {"iv": base64(16 bytes), "value": base64(AES-256-CBC ciphertext, PKCS#7)},
// whose plaintext is the JSON of a TokenPayload. key must be 32 bytes.
//
// The format has no MAC and no expiry: anyone holding a token can use it
// until the key changes, and a tampered token may still decrypt to valid
// JSON. Treat tokens like passwords.
func DecryptToken(key []byte, token string) (TokenPayload, error) {
	var p TokenPayload
	block, err := tokenCipher(key)
	if err != nil {
		return p, err
	}
	if len(token) > maxTokenLen {
		return p, fmt.Errorf("%w: too long", ErrBadToken)
	}
	outer, err := decodeBase64(token)
	if err != nil {
		return p, ErrBadToken
	}
	var env tokenEnvelope
	if err := json.Unmarshal(outer, &env); err != nil {
		return p, ErrBadToken
	}
	iv, err := decodeBase64(env.IV)
	if err != nil || len(iv) != aes.BlockSize {
		return p, ErrBadToken
	}
	ct, err := decodeBase64(env.Value)
	if err != nil || len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return p, ErrBadToken
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	plain, ok := unpad(plain)
	if !ok {
		return p, ErrBadToken
	}
	if err := json.Unmarshal(plain, &p); err != nil {
		return TokenPayload{}, ErrBadToken
	}
	if p.Connection.Type == "" && p.Connection.Join == "" {
		return TokenPayload{}, fmt.Errorf("%w: no connection type or join", ErrBadToken)
	}
	return p, nil
}

// EncryptToken produces a token DecryptToken (and guacamole-lite) accepts.
func EncryptToken(key []byte, p TokenPayload) (string, error) {
	block, err := tokenCipher(key)
	if err != nil {
		return "", err
	}
	plain, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("auth: encode token: %w", err)
	}
	n := aes.BlockSize - len(plain)%aes.BlockSize
	plain = append(plain, bytes.Repeat([]byte{byte(n)}, n)...)
	iv := make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return "", fmt.Errorf("auth: token IV: %w", err)
	}
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)
	env, err := json.Marshal(tokenEnvelope{
		IV:    base64.StdEncoding.EncodeToString(iv),
		Value: base64.StdEncoding.EncodeToString(ct),
	})
	if err != nil {
		return "", fmt.Errorf("auth: encode token: %w", err)
	}
	return base64.StdEncoding.EncodeToString(env), nil
}

func tokenCipher(key []byte) (cipher.Block, error) {
	if len(key) != TokenKeySize {
		return nil, fmt.Errorf("auth: token key must be %d bytes, got %d", TokenKeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("auth: token key: %w", err)
	}
	return block, nil
}

// unpad strips PKCS#7 padding, as Node's decipher.final() does.
func unpad(b []byte) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	n := int(b[len(b)-1])
	if n == 0 || n > aes.BlockSize || n > len(b) {
		return nil, false
	}
	for _, c := range b[len(b)-n:] {
		if int(c) != n {
			return nil, false
		}
	}
	return b[:len(b)-n], true
}

// decodeBase64 is as lenient as Node's Buffer.from(s, "base64"): standard
// or URL alphabet, padding optional. A space is read as "+", because a token
// pasted into a URL without encoding has its "+" turned into spaces by
// query parsing.
func decodeBase64(s string) ([]byte, error) {
	s = strings.ReplaceAll(s, " ", "+")
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// DefaultTokenParam is the query parameter guacamole-lite reads the token from.
const DefaultTokenParam = "token"

// Token authenticates requests that carry a guacamole-lite token in the
// query string. The identity has an empty Username and Token set.
type Token struct {
	Key   []byte // 32-byte AES key
	Param string // query parameter; "" means DefaultTokenParam
}

// Authenticate implements Authenticator.
func (t *Token) Authenticate(r *http.Request) (Identity, error) {
	param := t.Param
	if param == "" {
		param = DefaultTokenParam
	}
	raw := r.URL.Query().Get(param)
	if raw == "" {
		return Identity{}, noCredentials("no token")
	}
	p, err := DecryptToken(t.Key, raw)
	if err != nil {
		return Identity{}, &Error{Status: http.StatusUnauthorized, Message: "Token validation failed", Detail: err.Error(), Err: err}
	}
	return Identity{Token: &p}, nil
}
