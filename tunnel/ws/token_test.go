package ws

import (
	"net/url"
	"strings"
	"testing"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/backends/backendtest"
)

func TestGuacamoleLiteToken(t *testing.T) {
	key := []byte(strings.Repeat("k", 32))
	tok, err := auth.EncryptToken(key, auth.TokenPayload{Connection: auth.TokenConnection{Type: "test", Settings: map[string]any{"color": "ff00ff"}}})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *Config, _ *backendtest.Backend) { c.Auth = &auth.Token{Key: key} })
	q := "token=" + url.QueryEscape(tok) + "&GUAC_WIDTH=640"
	c, _, err := e.dial("", q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.expect("5.cfill,"); !strings.HasSuffix(got, "3.255,1.0,3.255,3.255;") {
		t.Fatalf("cfill %q, want the token's magenta", got)
	}
	// The HTTP tunnel authenticates the same connect data from its body.
	hc, resp := e.httpConnect("", q)
	if hc == nil {
		t.Fatalf("http connect with token: %d", resp.StatusCode)
	}
	hc.expect("5.cfill,")
	if _, resp, err := e.dial("", "token=garbage", nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("bad token accepted: %v", err)
	}
}
