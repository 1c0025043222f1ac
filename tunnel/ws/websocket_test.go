package ws

import (
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/backends"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
)

func TestWebSocketUUIDFirstThenDisplay(t *testing.T) {
	e := newEnv(t, nil)
	c, resp, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("Sec-WebSocket-Protocol"); got != "guacamole" {
		t.Fatalf("subprotocol %q, want guacamole", got)
	}
	first, err := c.next()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^0\.,36\.[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12};$`).MatchString(first) {
		t.Fatalf("first instruction %q, want the tunnel uuid", first)
	}
	if c.msgs != 1 {
		t.Fatalf("uuid arrived in message %d", c.msgs)
	}
	ready := c.expect("5.ready,")
	if !strings.Contains(ready, ".$") {
		t.Fatalf("ready %q lacks the connection id", ready)
	}
	c.expect("4.size,1.0,")
	// The catalog's colour reached the backend, its secret never the browser.
	if got := c.expect("5.cfill,"); !strings.Contains(got, "1.0,3.255,1.0,3.255;") {
		t.Fatalf("cfill %q, want green", got)
	}
	sess := e.be.Sessions()
	if len(sess) != 1 {
		t.Fatalf("%d backend sessions", len(sess))
	}
}

func TestWebSocketPingEchoAndInternalNotForwarded(t *testing.T) {
	e := newEnv(t, nil)
	c, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("4.sync,")
	c.send("0.,4.ping,13.1712345678901;")
	if got := c.expect("0.,"); got != "0.,4.ping,13.1712345678901;" {
		t.Fatalf("ping echo %q", got)
	}
	// Several instructions in one message, internal ones among them.
	c.send("0.,3.foo,3.bar;3.key,5.65307,1.1;0.,4.ping,1.7;")
	if got := c.expect("0.,"); got != "0.,4.ping,1.7;" {
		t.Fatalf("second echo %q", got)
	}
	in := e.waitInput("key")
	if strings.Join(in.Args, ",") != "65307,1" {
		t.Fatalf("key args %v", in.Args)
	}
	c.send("3.key,5.65307,1.0;")
	e.waitInput("key")
	select {
	case in := <-e.be.Inputs:
		t.Fatalf("unexpected input %v", in)
	default:
	}
}

func TestWebSocketCloseCodes(t *testing.T) {
	for _, st := range []protocol.Status{
		protocol.StatusUpstreamNotFound, protocol.StatusUpstreamUnavailable,
		protocol.StatusClientForbidden, protocol.StatusResourceNotFound, protocol.StatusServerBusy,
	} {
		t.Run(st.String(), func(t *testing.T) {
			e := newEnv(t, nil)
			e.be.OpenErr = &protocol.StatusError{Status: st, Message: "nope"}
			c, _, err := e.dial("alice", connectGreen, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := "5.error,4.nope," + strconv.Itoa(len(strconv.Itoa(int(st)))) + "." + strconv.Itoa(int(st)) + ";"
			if got := c.expect("5.error,"); got != want {
				t.Fatalf("error %q, want %q", got, want)
			}
			ce := c.closeErr()
			if ce.Code != st.WebSocketCode() || ce.Text != strconv.Itoa(int(st)) {
				t.Fatalf("close %d %q, want %d %q", ce.Code, ce.Text, st.WebSocketCode(), strconv.Itoa(int(st)))
			}
		})
	}
	t.Run("clean disconnect", func(t *testing.T) {
		e := newEnv(t, nil)
		c, _, err := e.dial("alice", connectGreen, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.expect("4.sync,")
		c.send("10.disconnect;")
		ce := c.closeErr()
		if ce.Code != 1000 || ce.Text != "0" {
			t.Fatalf("close %d %q, want 1000 \"0\"", ce.Code, ce.Text)
		}
		if e.cat.held() != 0 {
			waitFor(t, func() bool { return e.cat.held() == 0 }, "tracker release")
		}
	})
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestWebSocketRefusedBeforeUpgrade(t *testing.T) {
	tests := []struct {
		name   string
		user   string
		query  string
		origin string
		limit  int
		status int
		guac   protocol.Status
	}{
		{"no identity", "", connectGreen, "", 0, 401, protocol.StatusClientUnauthorized},
		{"identity refused", "banned", connectGreen, "", 0, 403, protocol.StatusClientForbidden},
		{"not permitted", "alice", "GUAC_TYPE=c&GUAC_ID=secret", "", 0, 403, protocol.StatusClientForbidden},
		{"unknown connection", "alice", "GUAC_TYPE=c&GUAC_ID=nope", "", 0, 404, protocol.StatusResourceNotFound},
		{"bad type", "alice", "GUAC_TYPE=x&GUAC_ID=green", "", 0, 400, protocol.StatusClientBadRequest},
		{"bad width", "alice", "GUAC_TYPE=c&GUAC_ID=green&GUAC_WIDTH=wide", "", 0, 400, protocol.StatusClientBadRequest},
		{"unknown share", "alice", "GUAC_TYPE=a&GUAC_ID=$nope", "", 0, 404, protocol.StatusResourceNotFound},
		{"foreign origin", "alice", connectGreen, "http://evil.example", 0, 403, protocol.StatusClientForbidden},
		{"limit reached", "alice", connectGreen, "", -1, 429, protocol.StatusClientTooMany},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil)
			if tt.limit < 0 {
				e.cat.limit = 1
				e.cat.acquired = 1
			}
			hdr := http.Header{}
			if tt.origin != "" {
				hdr.Set("Origin", tt.origin)
			}
			_, resp, err := e.dial(tt.user, tt.query, hdr)
			if err == nil {
				t.Fatal("upgrade succeeded")
			}
			if resp == nil || resp.StatusCode != tt.status {
				t.Fatalf("response %v, want %d", resp, tt.status)
			}
			if got := resp.Header.Get("Guacamole-Status-Code"); got != strconv.Itoa(int(tt.guac)) {
				t.Fatalf("Guacamole-Status-Code %q, want %d", got, tt.guac)
			}
			if n := len(e.be.Sessions()); n != 0 {
				t.Fatalf("backend contacted %d times", n)
			}
		})
	}
}

func TestWebSocketAllowedOrigins(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *backendtest.Backend) { c.AllowedOrigins = []string{"https://desk.example"} })
	hdr := http.Header{"Origin": {"https://desk.example"}}
	c, _, err := e.dial("alice", connectGreen, hdr)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("4.sync,")
	if _, resp, err := e.dial("alice", connectGreen, http.Header{"Origin": {e.ts.URL}}); err == nil || resp.StatusCode != 403 {
		t.Fatalf("same-host origin accepted though not listed: %v", err)
	}
}

func TestWebSocketJoinShared(t *testing.T) {
	e := newEnv(t, nil)
	owner, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	ready := owner.expect("5.ready,")
	id := ready[strings.IndexByte(ready, '$') : len(ready)-1]
	owner.expect("4.sync,")

	// A permitted user joins read-only and sees the same screen.
	viewer, _, err := e.dial("bob", "GUAC_TYPE=a&GUAC_SHARE=ro&GUAC_ID="+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := viewer.expect("5.ready,"); got != ready {
		t.Fatalf("viewer ready %q, want %q", got, ready)
	}
	viewer.expect("5.cfill,")
	viewer.send("3.key,5.65307,1.1;")
	owner.send("3.key,2.97,1.1;")
	if in := e.waitInput("key"); in.Args[0] != "97" {
		t.Fatalf("read-only viewer's key reached the backend: %v", in)
	}

	// A sharing profile gives its parameters; a stranger is refused.
	if _, _, err := e.dial("bob", "GUAC_TYPE=a&GUAC_SHARE=view&GUAC_ID="+id, nil); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := e.dial("mallory", "GUAC_TYPE=a&GUAC_ID="+id, nil); err == nil || resp.StatusCode != 403 {
		t.Fatalf("stranger joined: %v", err)
	}
}

func TestWebSocketIncompleteInstruction(t *testing.T) {
	e := newEnv(t, nil)
	c, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("4.sync,")
	c.send("3.key,5.65307")
	ce := c.closeErr()
	if ce.Text != strconv.Itoa(int(protocol.StatusClientBadRequest)) {
		t.Fatalf("close %d %q, want CLIENT_BAD_REQUEST", ce.Code, ce.Text)
	}
}

func TestWebSocketUTF16Client(t *testing.T) {
	e := newEnv(t, nil)
	c, _, err := e.dial("alice", connectGreen+"&GOGUACD_LENGTHS=utf16", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.utf16 = true
	c.expect("4.sync,")
	// A UTF-16 client counts the emoji as 2 (8 in all).
	c.send("4.file,1.1,10.text/plain,8.😀 a.txt;")
	in := e.waitInput("file")
	if in.Args[2] != "😀 a.txt" {
		t.Fatalf("file name %q", in.Args[2])
	}
	// And the server's output is counted the same way.
	e.be.Sessions()[0].Display().Write(protocol.AppendName(nil, "😀x"))
	if got := c.expect("4.name,"); got != "4.name,3.😀x;" {
		t.Fatalf("name %q, want UTF-16 length 3", got)
	}
}

// TestWebSocketCodePointClient is the Apache ≥ 1.5.2 / 1.6.0 client: lengths
// in code points both ways, the default.
func TestWebSocketCodePointClient(t *testing.T) {
	e := newEnv(t, nil)
	c, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("4.sync,")
	c.send("4.file,1.1,10.text/plain,7.😀 a.txt;")
	if in := e.waitInput("file"); in.Args[2] != "😀 a.txt" {
		t.Fatalf("file name %q", in.Args[2])
	}
	e.be.Sessions()[0].Display().Write(protocol.AppendName(nil, "😀x"))
	if got := c.expect("4.name,"); got != "4.name,2.😀x;" {
		t.Fatalf("name %q, want code-point length 2", got)
	}
}

// A catalog connection that names a guacd (proxy_hostname/proxy_port) is
// served by the relay to that guacd, which gets the address as parameters.
func TestProxiedConnectionRoutesToGuacd(t *testing.T) {
	e := newEnv(t, nil)
	relay := backendtest.New()
	e.srv.Backends().Register(backends.ViaGuacd("vnc"), relay)
	e.cat.conns["relayed"] = catalog.Connection{ID: "relayed", Protocol: "vnc", ProxyHost: "guacd.internal", ProxyPort: 4823,
		Params: map[string]string{"hostname": "desktop-1"}}
	e.cat.allowed["relayed"] = []string{"alice"}
	c, _, err := e.dial("alice", "GUAC_ID=relayed&GUAC_TYPE=c&GUAC_WIDTH=640&GUAC_HEIGHT=480", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("5.ready,")
	c.expect("5.cfill,") // drawn once the relay has opened
	sess := relay.Sessions()
	if len(sess) != 1 {
		t.Fatalf("relay sessions: %d", len(sess))
	}
	p := sess[0].Params()
	if p[backends.ParamProxyHostname] != "guacd.internal" || p[backends.ParamProxyPort] != "4823" || p["hostname"] != "desktop-1" {
		t.Fatalf("relay params %v", p)
	}
}
