package auth

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

const (
	testAud = "guac.example.com"
	testIss = "guac.example.com"
)

// testKeys holds freshly generated signing keys, one per algorithm family.
type testKeys struct {
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
	ec2 *ecdsa.PrivateKey // published only after "rotation"
}

var (
	keysOnce sync.Once
	keys     testKeys
)

func getKeys(t testing.TB) testKeys {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keys.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keys.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if keys.ec2, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return keys
}

// jwksServer serves a JWKS on 127.0.0.1 and counts fetches. gate, if set,
// blocks each fetch until it is closed.
type jwksServer struct {
	*httptest.Server
	hits atomic.Int32
	mu   sync.Mutex
	body []byte
	gate chan struct{}
}

func newJWKSServer(t *testing.T, pub ...jose.JSONWebKey) *jwksServer {
	t.Helper()
	s := &jwksServer{}
	s.publish(t, pub...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != DefaultJWKSPath {
			http.NotFound(w, r)
			return
		}
		s.hits.Add(1)
		s.mu.Lock()
		body, gate := s.body, s.gate
		s.mu.Unlock()
		if gate != nil {
			<-gate
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) publish(t *testing.T, pub ...jose.JSONWebKey) {
	t.Helper()
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: pub})
	if err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	s.body = body
	s.mu.Unlock()
}

func publicJWK(key any, kid, alg string) jose.JSONWebKey {
	var pub any
	switch k := key.(type) {
	case *rsa.PrivateKey:
		pub = &k.PublicKey
	case *ecdsa.PrivateKey:
		pub = &k.PublicKey
	}
	return jose.JSONWebKey{Key: pub, KeyID: kid, Algorithm: alg, Use: "sig"}
}

// claims is what the test proxy signs.
type claims struct {
	jwt.Claims
	Email  string   `json:"email,omitempty"`
	Groups []string `json:"groups,omitempty"`
}

func goodClaims() claims {
	now := time.Now()
	return claims{
		Claims: jwt.Claims{Issuer: testIss, Audience: jwt.Audience{testAud}, Subject: "u1",
			IssuedAt: jwt.NewNumericDate(now), Expiry: jwt.NewNumericDate(now.Add(5 * time.Minute))},
		Email:  "alice@example.com",
		Groups: []string{"researchers", "ops"},
	}
}

func sign(t testing.TB, alg jose.SignatureAlgorithm, key any, kid string, c any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(c).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsignedToken builds an "alg: none" JWT by hand; go-jose refuses to make one.
func unsignedToken(t testing.TB, kid string, c any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": kid})
	p, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

func newTestJWT(t *testing.T, srv *jwksServer, mod func(*JWTOptions)) (*JWT, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	client := &http.Client{Transport: &http.Transport{}, Timeout: 5 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	o := JWTOptions{JWKSURL: srv.URL, HTTPClient: client, Audience: testAud, Issuer: testIss,
		ClaimHeader: DefaultHeader, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	if mod != nil {
		mod(&o)
	}
	j, err := NewJWT(o)
	if err != nil {
		t.Fatalf("NewJWT: %v", err)
	}
	return j, &logs
}

func jwtRequest(tok, remote string, hdr map[string]string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/websocket-tunnel", nil)
	r.RemoteAddr = remote
	if tok != "" {
		r.Header.Set(DefaultJWTHeader, tok)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	return r
}

func TestJWT(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, publicJWK(k.rsa, "rsa1", "RS256"), publicJWK(k.ec, "ec1", "ES256"))
	rsaPubDER, err := x509.MarshalPKIXPublicKey(&k.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	rsaPubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPubDER})

	with := func(f func(*claims)) claims { c := goodClaims(); f(&c); return c }
	now := time.Now()
	tests := []struct {
		name       string
		token      string
		remote     string
		hdr        map[string]string
		opts       func(*JWTOptions)
		wantUser   string
		wantGroups []string
		wantDetail string // substring of the refusal detail; "" = success
	}{
		{name: "RS256", token: sign(t, jose.RS256, k.rsa, "rsa1", goodClaims()), wantUser: "alice@example.com", wantGroups: []string{"researchers", "ops"}},
		{name: "ES256", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), wantUser: "alice@example.com", wantGroups: []string{"researchers", "ops"}},
		{name: "no groups claim", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Groups = nil })), wantUser: "alice@example.com"},
		{name: "header agrees", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), hdr: map[string]string{DefaultHeader: "alice@example.com"}, wantUser: "alice@example.com", wantGroups: []string{"researchers", "ops"}},
		{name: "sub as username", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), opts: func(o *JWTOptions) { o.UsernameClaim = "sub" }, wantUser: "u1", wantGroups: []string{"researchers", "ops"}},
		{name: "within leeway", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Expiry = jwt.NewNumericDate(now.Add(-10 * time.Second)) })), wantUser: "alice@example.com", wantGroups: []string{"researchers", "ops"}},

		{name: "header disagrees", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), hdr: map[string]string{DefaultHeader: "mallory@example.com"}, wantDetail: "disagrees"},
		{name: "expired", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Expiry = jwt.NewNumericDate(now.Add(-2 * time.Minute)) })), wantDetail: "expired"},
		{name: "no exp", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Expiry = nil })), wantDetail: "no exp"},
		{name: "not yet valid", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.NotBefore = jwt.NewNumericDate(now.Add(2 * time.Minute)) })), wantDetail: "not valid yet"},
		{name: "issued in future", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.IssuedAt = jwt.NewNumericDate(now.Add(2 * time.Minute)) })), wantDetail: "future"},
		{name: "wrong audience", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Audience = jwt.Audience{"other.example.com"} })), wantDetail: "aud"},
		{name: "wrong issuer", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Issuer = "evil.example.com" })), wantDetail: "iss"},
		{name: "no email", token: sign(t, jose.ES256, k.ec, "ec1", with(func(c *claims) { c.Email = "" })), wantDetail: `claim "email"`},
		{name: "alg none", token: unsignedToken(t, "rsa1", goodClaims()), wantDetail: "algorithm"},
		{name: "HS256 with public key bytes", token: sign(t, jose.HS256, rsaPubPEM, "rsa1", goodClaims()), wantDetail: "algorithm"},
		{name: "HS256 with DER public key", token: sign(t, jose.HS256, rsaPubDER, "rsa1", goodClaims()), wantDetail: "algorithm"},
		{name: "ES256 token with RSA kid", token: sign(t, jose.ES256, k.ec, "rsa1", goodClaims()), wantDetail: "is for RS256"},
		{name: "signed by unpublished key", token: sign(t, jose.ES256, k.ec2, "ec1", goodClaims()), wantDetail: "cryptographic"},
		{name: "unknown kid", token: sign(t, jose.ES256, k.ec2, "ec2", goodClaims()), wantDetail: `kid "ec2"`},
		{name: "no kid", token: sign(t, jose.ES256, k.ec, "", goodClaims()), wantDetail: "no kid"},
		{name: "garbage", token: "not.a.jwt", wantDetail: "base64"},
		{name: "RS256 disallowed by config", token: sign(t, jose.RS256, k.rsa, "rsa1", goodClaims()), opts: func(o *JWTOptions) { o.Algorithms = []string{"ES256"} }, wantDetail: "algorithm"},
		{name: "untrusted peer when required", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), remote: "203.0.113.9:1234",
			opts: func(o *JWTOptions) {
				o.RequireTrustedProxy = true
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			},
			wantDetail: "trusted proxy"},
		{name: "trusted peer when required", token: sign(t, jose.ES256, k.ec, "ec1", goodClaims()), remote: "10.0.0.7:1234",
			opts: func(o *JWTOptions) {
				o.RequireTrustedProxy = true
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
			},
			wantUser: "alice@example.com", wantGroups: []string{"researchers", "ops"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, logs := newTestJWT(t, srv, tt.opts)
			remote := tt.remote
			if remote == "" {
				remote = "192.0.2.1:40000"
			}
			id, err := j.Authenticate(jwtRequest(tt.token, remote, tt.hdr))
			if tt.wantDetail == "" {
				if err != nil {
					t.Fatalf("Authenticate: %v", err)
				}
				if id.Username != tt.wantUser || !slices.Equal(id.Groups, tt.wantGroups) || id.Email != "alice@example.com" {
					t.Fatalf("identity = %+v, want user %q groups %q", id, tt.wantUser, tt.wantGroups)
				}
				return
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
				t.Fatalf("err = %v, want 401 *Error", err)
			}
			if !strings.Contains(ae.Detail, tt.wantDetail) {
				t.Fatalf("detail %q does not mention %q", ae.Detail, tt.wantDetail)
			}
			if errors.Is(err, ErrNoCredentials) {
				t.Fatal("a bad token must not be ErrNoCredentials (a Chain would fall through)")
			}
			if !strings.Contains(logs.String(), "peer="+remote) {
				t.Fatalf("refusal not logged with peer: %q", logs.String())
			}
			if strings.Contains(logs.String(), tt.token) {
				t.Fatal("the token itself was logged")
			}
		})
	}
}

func TestJWTMissingHeader(t *testing.T) {
	srv := newJWKSServer(t, publicJWK(getKeys(t).ec, "ec1", "ES256"))
	j, _ := newTestJWT(t, srv, nil)
	_, err := j.Authenticate(jwtRequest("", "192.0.2.1:1", map[string]string{DefaultHeader: "alice@example.com"}))
	if !errors.Is(err, ErrNoCredentials) {
		t.Fatalf("err = %v, want ErrNoCredentials: the unsigned header alone must not authenticate", err)
	}
	if srv.hits.Load() != 0 {
		t.Fatal("JWKS fetched without a token")
	}
}

// TestJWTKeyRefresh walks through key rotation with a fake clock: unknown
// kids trigger at most one fetch per interval, concurrent lookups share one.
func TestJWTKeyRefresh(t *testing.T) {
	k := getKeys(t)
	srv := newJWKSServer(t, publicJWK(k.ec, "ec1", "ES256"))
	j, _ := newTestJWT(t, srv, func(o *JWTOptions) { o.RefreshInterval = 30 * time.Second })
	var clock atomic.Int64
	base := time.Now()
	j.keys.now = func() time.Time { return base.Add(time.Duration(clock.Load())) }
	at := func(d time.Duration) { clock.Store(int64(d)) }

	good := sign(t, jose.ES256, k.ec, "ec1", goodClaims())
	rotated := sign(t, jose.ES256, k.ec2, "ec2", goodClaims())
	auth := func(tok string) error {
		_, err := j.Authenticate(jwtRequest(tok, "192.0.2.1:1", nil))
		return err
	}
	steps := []struct {
		at        time.Duration
		token     string
		n         int // how many requests
		wantOK    bool
		wantFetch int32 // total fetches after the step
	}{
		{at: 0, token: good, n: 3, wantOK: true, wantFetch: 1},
		{at: time.Second, token: rotated, n: 5, wantFetch: 1},       // within interval: no fetch
		{at: 31 * time.Second, token: rotated, n: 1, wantFetch: 2},  // one refresh, still unknown
		{at: 32 * time.Second, token: rotated, n: 10, wantFetch: 2}, // rate-limited again
		{at: 40 * time.Second, token: good, n: 2, wantOK: true, wantFetch: 2},
	}
	for i, s := range steps {
		at(s.at)
		for range s.n {
			if err := auth(s.token); (err == nil) != s.wantOK {
				t.Fatalf("step %d: err = %v, want ok=%v", i, err, s.wantOK)
			}
		}
		if got := srv.hits.Load(); got != s.wantFetch {
			t.Fatalf("step %d: %d fetches, want %d", i, got, s.wantFetch)
		}
	}

	// The proxy rotates to ec2; many concurrent requests share one fetch.
	srv.publish(t, publicJWK(k.ec, "ec1", "ES256"), publicJWK(k.ec2, "ec2", "ES256"))
	gate := make(chan struct{})
	srv.mu.Lock()
	srv.gate = gate
	srv.mu.Unlock()
	at(100 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() { errs <- auth(rotated) })
	}
	for srv.hits.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the other requests queue on the fetch
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		// Requests that arrived after the fetch finished find the key cached.
		if err != nil {
			t.Fatalf("rotated key refused: %v", err)
		}
	}
	if got := srv.hits.Load(); got != 3 {
		t.Fatalf("%d fetches, want 3 (one shared refresh)", got)
	}
}

// TestKeySetStaleAndFailure checks that a failing JWKS endpoint keeps the
// last good keys and that stale keys are re-fetched.
func TestKeySetStaleAndFailure(t *testing.T) {
	pub := publicJWK(getKeys(t).ec, "ec1", "ES256")
	var fail atomic.Bool
	var fetches atomic.Int32
	now := time.Now()
	s := &keySet{
		minInterval: time.Second, maxAge: time.Minute, now: func() time.Time { return now },
		fetch: func(context.Context) (map[string]jose.JSONWebKey, error) {
			fetches.Add(1)
			if fail.Load() {
				return nil, errors.New("proxy down")
			}
			return map[string]jose.JSONWebKey{"ec1": pub}, nil
		},
	}
	ctx := context.Background()
	if _, err := s.key(ctx, "ec1"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Minute)
	fail.Store(true)
	if _, err := s.key(ctx, "ec1"); err != nil {
		t.Fatalf("stale key with failing refresh: %v", err)
	}
	if _, err := s.key(ctx, "nope"); !errors.Is(err, errUnknownKey) {
		t.Fatalf("unknown kid inside interval: err = %v", err)
	}
	now = now.Add(2 * time.Second)
	if _, err := s.key(ctx, "nope"); err == nil || !strings.Contains(err.Error(), "proxy down") {
		t.Fatalf("unknown kid with failing fetch: err = %v", err)
	}
	if got := fetches.Load(); got != 3 {
		t.Fatalf("%d fetches, want 3", got)
	}
}

func TestParseJWKS(t *testing.T) {
	k := getKeys(t)
	priv := jose.JSONWebKey{Key: k.ec, KeyID: "priv", Algorithm: "ES256"}
	sym := jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "hmac", Algorithm: "HS256"}
	enc := publicJWK(k.rsa, "enc", "RS256")
	enc.Use = "enc"
	noKid := publicJWK(k.rsa, "", "RS256")
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{priv, sym, enc, noKid, publicJWK(k.rsa, "rsa1", "RS256")}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := parseJWKS(body)
	if err != nil {
		t.Fatal(err)
	}
	privKept := got["priv"]
	if len(got) != 2 || !privKept.IsPublic() || got["rsa1"].Key == nil {
		t.Fatalf("kept %v, want public forms of priv and rsa1 only", slices.Sorted(maps.Keys(got)))
	}
	if _, err := parseJWKS([]byte(`{"keys":[]}`)); err == nil {
		t.Fatal("empty JWKS accepted")
	}
	if _, err := parseJWKS([]byte(`{`)); err == nil {
		t.Fatal("broken JWKS accepted")
	}
}

func TestNewJWTConfigErrors(t *testing.T) {
	base := JWTOptions{JWKSURL: "https://auth.example.com", Audience: testAud, Issuer: testIss}
	tests := []struct {
		name string
		mod  func(*JWTOptions)
		want string
	}{
		{"no audience", func(o *JWTOptions) { o.Audience = "" }, "jwt.audience"},
		{"no issuer", func(o *JWTOptions) { o.Issuer = "" }, "jwt.issuer"},
		{"no source", func(o *JWTOptions) { o.JWKSURL = "" }, "jwks_url"},
		{"both sources", func(o *JWTOptions) { o.JWKSFile = "/x" }, "jwks_url"},
		{"bad url", func(o *JWTOptions) { o.JWKSURL = "ftp://x" }, "jwt.jwks_url"},
		{"hmac alg", func(o *JWTOptions) { o.Algorithms = []string{"ES256", "HS256"} }, "jwt.algorithms[1]"},
		{"none alg", func(o *JWTOptions) { o.Algorithms = []string{"none"} }, "jwt.algorithms[0]"},
		{"empty algs", func(o *JWTOptions) { o.Algorithms = []string{} }, "jwt.algorithms"},
		{"negative leeway", func(o *JWTOptions) { o.Leeway = -time.Second }, "jwt.leeway"},
		{"trusted proxy without proxies", func(o *JWTOptions) { o.RequireTrustedProxy = true }, "require_trusted_proxy"},
		{"missing file", func(o *JWTOptions) { o.JWKSURL = ""; o.JWKSFile = "/nonexistent/jwks.json" }, "jwt.jwks_file"},
	}
	for _, tt := range tests {
		o := base
		tt.mod(&o)
		_, err := NewJWT(o)
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want ConfigError naming %q", tt.name, err, tt.want)
		}
	}
	if _, err := NewJWT(base); err != nil {
		t.Fatalf("valid options refused: %v", err)
	}
}

func TestJWKSURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://auth.example.com", "https://auth.example.com/.well-known/pomerium/jwks.json"},
		{"https://auth.example.com/", "https://auth.example.com/.well-known/pomerium/jwks.json"},
		{"http://127.0.0.1:8443/keys.json", "http://127.0.0.1:8443/keys.json"},
	}
	for _, tt := range tests {
		if got, err := jwksURL(tt.in); err != nil || got != tt.want {
			t.Errorf("jwksURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestJWTStaticFile(t *testing.T) {
	k := getKeys(t)
	body, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{publicJWK(k.ec, "ec1", "ES256")}})
	if err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/jwks.json"
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := NewJWT(JWTOptions{JWKSFile: path, Audience: testAud, Issuer: testIss, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	id, err := j.Authenticate(jwtRequest(sign(t, jose.ES256, k.ec, "ec1", goodClaims()), "192.0.2.1:1", nil))
	if err != nil || id.Username != "alice@example.com" {
		t.Fatalf("Authenticate = %+v, %v", id, err)
	}
	_, err = j.Authenticate(jwtRequest(sign(t, jose.ES256, k.ec2, "ec2", goodClaims()), "192.0.2.1:1", nil))
	if err == nil || !strings.Contains(err.Error(), `kid "ec2"`) {
		t.Fatalf("unknown kid with static file: err = %v", err)
	}
	if err := os.WriteFile(path, []byte(`{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"h"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewJWT(JWTOptions{JWKSFile: path, Audience: testAud, Issuer: testIss}); err == nil || !strings.Contains(err.Error(), "jwt.jwks_file") {
		t.Fatalf("JWKS file with only an HMAC key: err = %v", err)
	}
}
