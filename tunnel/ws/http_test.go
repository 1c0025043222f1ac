package ws

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
)

// httpClient drives the HTTP tunnel as Guacamole.HTTPTunnel does.
type httpClient struct {
	t     *testing.T
	e     *env
	uuid  string
	token string
	n     int
	buf   string
}

func (e *env) httpConnect(user, data string) (*httpClient, *http.Response) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.httpURL+"?connect", strings.NewReader(data))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
	if user != "" {
		req.Header.Set("X-User", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, resp
	}
	return &httpClient{t: e.t, e: e, uuid: string(body), token: resp.Header.Get(tokenHeader)}, resp
}

// read performs one ?read: request and returns its body.
func (c *httpClient) read() (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.e.httpURL+"?read:"+c.uuid+":"+strconv.Itoa(c.n), nil)
	c.n++
	req.Header.Set(tokenHeader, c.token)
	cl := http.Client{Timeout: 20 * time.Second}
	resp, err := cl.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// expect reads until an instruction starting with prefix arrives, checking
// that every response ends with the end-of-response marker.
func (c *httpClient) expect(prefix string) string {
	c.t.Helper()
	for range 50 {
		for c.buf != "" {
			var p protocol.Parser
			_, n, err := p.Next([]byte(c.buf))
			if err != nil {
				c.t.Fatalf("bad response data %.80q: %v", c.buf, err)
			}
			ins := c.buf[:n]
			c.buf = c.buf[n:]
			if strings.HasPrefix(ins, prefix) {
				return ins
			}
		}
		code, body := c.read()
		if code != 200 {
			c.t.Fatalf("read status %d while waiting for %q", code, prefix)
		}
		if !strings.HasSuffix(body, endOfResponse) {
			c.t.Fatalf("response %.80q lacks the end marker", body)
		}
		c.buf = strings.TrimSuffix(body, endOfResponse)
	}
	c.t.Fatalf("no %q", prefix)
	return ""
}

func (c *httpClient) write(data string) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.e.httpURL+"?write:"+c.uuid, strings.NewReader(data))
	req.Header.Set(tokenHeader, c.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHTTPTunnelRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	c, resp := e.httpConnect("alice", connectGreen)
	if c == nil {
		t.Fatalf("connect: %d", resp.StatusCode)
	}
	if len(c.uuid) != 36 || len(c.token) != 44 {
		t.Fatalf("uuid %q token %q", c.uuid, c.token)
	}
	c.expect("5.ready,")
	if got := c.expect("5.cfill,"); !strings.HasSuffix(got, "1.0,3.255,1.0,3.255;") {
		t.Fatalf("cfill %q", got)
	}
	if code := c.write("3.nop;3.key,2.97,1.1;3.key,2.97,1.0;"); code != 200 {
		t.Fatalf("write status %d", code)
	}
	if in := e.waitInput("key"); in.Args[0] != "97" {
		t.Fatalf("key %v", in)
	}
	c.write("10.disconnect;")
	c.expect("10.disconnect;")
	// Once delivered, the tunnel is gone: the browser takes 404 as the end.
	waitFor(t, func() bool { return e.h.HTTPTunnels() == 0 }, "tunnel removal")
	if code, _ := c.read(); code != 404 {
		t.Fatalf("read after end: %d", code)
	}
	if code := c.write("3.nop;"); code != 404 {
		t.Fatalf("write after end: %d", code)
	}
}

func TestHTTPTunnelRefusals(t *testing.T) {
	e := newEnv(t, nil)
	for _, tt := range []struct {
		user, data string
		status     int
	}{
		{"", connectGreen, 401},
		{"alice", "GUAC_TYPE=c&GUAC_ID=secret", 403},
		{"alice", "GUAC_TYPE=c&GUAC_ID=missing", 404},
	} {
		if c, resp := e.httpConnect(tt.user, tt.data); c != nil || resp.StatusCode != tt.status || resp.Header.Get("Guacamole-Status-Code") == "" {
			t.Errorf("connect %q as %q: %v, want %d with a status header", tt.data, tt.user, resp.Status, tt.status)
		}
	}
	// Reads and writes need the token.
	req, _ := http.NewRequest(http.MethodGet, e.httpURL+"?read:x:0", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("read without token: %d", resp.StatusCode)
	}
	if n := len(e.be.Sessions()); n != 0 {
		t.Fatalf("backend contacted %d times", n)
	}
}

func TestHTTPTunnelAbandoned(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *backendtest.Backend) { c.HTTPTunnelTimeout = 200 * time.Millisecond })
	c, _ := e.httpConnect("alice", connectGreen)
	if c == nil {
		t.Fatal("connect failed")
	}
	// Nobody polls: the tunnel and its session go away.
	waitFor(t, func() bool { return e.h.HTTPTunnels() == 0 && e.srv.Connections() == 0 }, "abandoned tunnel cleanup")
}

func TestHTTPTunnelDropsEmptyElements(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.httpConnect("alice", connectGreen)
	c.expect("4.sync,")
	e.be.Sessions()[0].Display().Write([]byte("3.set,1.0,4.name,0.;4.name,1.x;"))
	if got := c.expect("4.name,"); got != "4.name,1.x;" {
		t.Fatalf("got %q", got)
	}
}
