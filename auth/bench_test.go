package auth

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func headerRequest() (*TrustedHeader, *http.Request) {
	h := &TrustedHeader{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	r := httptest.NewRequest(http.MethodGet, "/websocket-tunnel", nil)
	r.RemoteAddr = "10.1.2.3:5555"
	r.Header.Set(DefaultHeader, "alice@example.com")
	return h, r
}

// TestTrustedHeaderAllocs pins the header path at zero allocations: it runs
// on every WebSocket upgrade.
func TestTrustedHeaderAllocs(t *testing.T) {
	h, r := headerRequest()
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := h.Authenticate(r); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("TrustedHeader.Authenticate allocates %v times, want 0", n)
	}
}

func BenchmarkTrustedHeader(b *testing.B) {
	h, r := headerRequest()
	b.SetBytes(int64(len(r.Header.Get(DefaultHeader))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Authenticate(r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJWT(b *testing.B) {
	k := getKeys(b)
	for _, tc := range []struct {
		name string
		alg  jose.SignatureAlgorithm
		key  any
		kid  string
	}{
		{"ES256", jose.ES256, k.ec, "ec1"},
		{"RS256", jose.RS256, k.rsa, "rsa1"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			tok := sign(b, tc.alg, tc.key, tc.kid, goodClaims())
			j, err := NewJWT(JWTOptions{JWKSURL: "https://unused.example", Audience: testAud, Issuer: testIss})
			if err != nil {
				b.Fatal(err)
			}
			j.keys.fetch = nil // keys preloaded below; no network in benchmarks
			j.keys.keys = map[string]jose.JSONWebKey{"ec1": publicJWK(k.ec, "ec1", "ES256"), "rsa1": publicJWK(k.rsa, "rsa1", "RS256")}
			r := jwtRequest(tok, "192.0.2.1:1", nil)
			b.SetBytes(int64(len(tok)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecryptToken(b *testing.B) {
	tok, err := EncryptToken(testTokenKey, samplePayload())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(tok)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptToken(testTokenKey, tok); err != nil {
			b.Fatal(err)
		}
	}
}
