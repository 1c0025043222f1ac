package ws

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
)

func TestShutdownClosesWithServerBusy(t *testing.T) {
	e := newEnv(t, nil)
	c, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.expect("4.sync,")
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- e.srv.Shutdown(ctx)
	}()
	c.expect("5.error,")
	ce := c.closeErr()
	if ce.Code != protocol.StatusServerBusy.WebSocketCode() || ce.Text != "513" {
		t.Fatalf("close %d %q, want 1008 \"513\"", ce.Code, ce.Text)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestShareEndsWithOwner(t *testing.T) {
	e := newEnv(t, nil)
	owner, _, err := e.dial("alice", connectGreen, nil)
	if err != nil {
		t.Fatal(err)
	}
	ready := owner.expect("5.ready,")
	id := ready[strings.IndexByte(ready, '$') : len(ready)-1]
	owner.send("10.disconnect;")
	owner.closeErr()
	waitFor(t, func() bool { return e.srv.Connections() == 0 }, "the connection to close with its owner")
	if _, resp, err := e.dial("bob", "GUAC_TYPE=a&GUAC_ID="+id, nil); err == nil || resp.StatusCode != 404 {
		t.Fatalf("joined an ended connection: %v", err)
	}
}

func TestHTTPTunnelUTF16Client(t *testing.T) {
	e := newEnv(t, nil)
	c, _ := e.httpConnect("alice", connectGreen+"&GOGUACD_LENGTHS=utf16")
	c.expect("4.sync,")
	c.write("4.file,1.1,10.text/plain,8.😀 a.txt;")
	if in := e.waitInput("file"); in.Args[2] != "😀 a.txt" {
		t.Fatalf("file name %q", in.Args[2])
	}
	e.be.Sessions()[0].Display().Write(protocol.AppendName(nil, "😀x"))
	code, body := c.read()
	if code != 200 || !strings.Contains(body, "4.name,3.😀x;") {
		t.Fatalf("read %d %q, want the name counted in UTF-16 units", code, body)
	}
}

func TestHTTPTunnelLongPollEndsEmpty(t *testing.T) {
	e := newEnv(t, func(c *Config, _ *backendtest.Backend) { c.LongPoll = 50 * time.Millisecond })
	c, _ := e.httpConnect("alice", connectGreen)
	c.expect("4.sync,")
	// Nothing to send: the poll ends with just the marker, and the tunnel
	// stays usable.
	if code, body := c.read(); code != 200 || body != endOfResponse {
		t.Fatalf("idle poll: %d %q", code, body)
	}
	c.write("3.key,2.97,1.1;")
	e.waitInput("key")
	c.expect("5.cfill,")
}
