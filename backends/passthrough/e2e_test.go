package passthrough

import (
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel/tunneltest"
)

// e2e is a tunnel.Server on loopback with passthrough registered as "rdp",
// relaying to a fake guacd.
type e2e struct {
	addr  string
	guacd *fakeGuacd
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	g := newFakeGuacd(t, []string{"read-only", "password", "port", "hostname"})
	b := newBackend(t, g.addr(), nil)
	return &e2e{addr: tunneltest.ListenBackend(t, "rdp", b), guacd: g}
}

// client is a raw guacd-protocol client.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *protocol.Reader
}

type ins struct {
	op   string
	args []string
}

func (e *e2e) dial(t *testing.T) *client {
	t.Helper()
	nc, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: protocol.NewReader(nc)}
}

func (c *client) send(op string, args ...string) {
	c.t.Helper()
	if _, err := c.nc.Write(protocol.AppendInstruction(nil, op, args...)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) read(d time.Duration) (ins, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	in, err := c.r.ReadInstruction()
	if err != nil {
		return ins{}, err
	}
	return ins{op: string(in.Opcode), args: stringsOf(in.Args)}, nil
}

// expect reads until op arrives, acknowledging every sync like a browser,
// and fails on error or disconnect. Everything read is appended to seen.
func (c *client) expect(op string, seen *[]ins) ins {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		in, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %q: %v", op, err)
		}
		if seen != nil {
			*seen = append(*seen, in)
		}
		if in.op == "sync" {
			c.send("sync", in.args[0])
		}
		if in.op == op {
			return in
		}
		if in.op == "error" || in.op == "disconnect" {
			c.t.Fatalf("waiting for %q: got %v", op, in)
		}
	}
}

// end reads until disconnect or the end of the stream and returns the
// error instruction, if any.
func (c *client) end() (ins, bool) {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var errIns ins
	for {
		in, err := c.read(time.Until(deadline))
		if err != nil {
			if errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset") {
				return errIns, false
			}
			c.t.Fatalf("waiting for the end: %v", err)
		}
		switch in.op {
		case "error":
			errIns = in
		case "disconnect":
			return errIns, true
		}
	}
}

// connect runs the handshake (sel "rdp" or "$id") and returns ready's ID.
func (c *client) connect(sel string, params map[string]string) string {
	c.t.Helper()
	c.send("select", sel)
	args := c.expect("args", nil)
	if sel == "rdp" && !slices.Equal(args.args[1:], RDPArgs) {
		c.t.Fatalf("args %v", args.args)
	}
	c.send("size", "1024", "768", "96")
	c.send("audio")
	c.send("video")
	c.send("image", "image/png")
	c.send("timezone", "UTC")
	c.send("name", "Ada")
	vals := []string{protocol.Version1_5_0}
	for _, n := range args.args[1:] {
		vals = append(vals, params[n])
	}
	c.send("connect", vals...)
	return c.expect("ready", nil).args[0]
}

func keyFrom(conn int, sym string) func(fakeEvent) bool {
	return func(e fakeEvent) bool {
		return e.conn == conn && e.op == "key" && len(e.args) > 0 && e.args[0] == sym
	}
}

func TestEndToEnd(t *testing.T) {
	e := newE2E(t)
	dir := t.TempDir()
	own := e.dial(t)
	id := own.connect("rdp", map[string]string{"hostname": "desk", "port": "3389", "password": "pw",
		"recording-path": dir, "recording-name": "rec"})
	if !strings.HasPrefix(id, "$") || strings.HasPrefix(id, "$fake") {
		t.Fatalf("ready %q: want goguacd's own connection ID", id)
	}

	// Drawing arrives, with goguacd's sync timestamps; acknowledging them
	// keeps the owner connected.
	var seen []ins
	own.expect("cfill", &seen)
	sync := own.expect("sync", &seen)
	if sync.args[0] == upstreamTS {
		t.Fatalf("upstream sync timestamp relayed verbatim")
	}
	e.guacd.waitEvent(t, "sync acknowledgement", func(ev fakeEvent) bool {
		return ev.conn == 0 && ev.op == "sync" && len(ev.args) == 1 && ev.args[0] == upstreamTS
	})

	// Input reaches guacd; guacd's answer reaches the owner, minus its msg.
	own.send("key", keyDraw, "1", "0")
	e.guacd.waitEvent(t, "owner key", keyFrom(0, keyDraw))
	own.expect("sync", &seen)
	for _, in := range seen {
		if in.op == "msg" {
			t.Fatalf("upstream msg reached the owner: %v", in)
		}
	}
	hs := e.guacd.handshakes()
	if hs[0].values["hostname"] != "desk" || hs[0].values["password"] != "pw" || hs[0].name != "Ada" {
		t.Fatalf("owner handshake upstream %+v", hs[0])
	}

	// A joiner gets its own upstream join, with guacd's state replay.
	rw := e.dial(t)
	rw.connect(id, map[string]string{})
	rw.expect("cfill", nil)
	rw.expect("sync", nil)
	msg := own.expect("msg", nil)
	if msg.args[1] == "@upstream-user" {
		t.Fatalf("owner got guacd's msg instead of goguacd's: %v", msg)
	}
	rw.send("key", "65", "1", "0")
	e.guacd.waitEvent(t, "joiner key", keyFrom(1, "65"))

	// A read-only joiner's key never reaches guacd; its ack does.
	ro := e.dial(t)
	ro.connect(id, map[string]string{"read-only": "true"})
	ro.expect("sync", nil)
	ro.send("key", "66", "1", "0")
	ro.send("ack", "1", "OK", "0")
	e.guacd.waitEvent(t, "read-only ack", func(ev fakeEvent) bool { return ev.conn == 2 && ev.op == "ack" })
	for _, ev := range e.guacd.received() {
		if ev.op == "key" && ev.args[0] == "66" {
			t.Fatalf("read-only key reached guacd: %+v", ev)
		}
	}
	hs = e.guacd.handshakes()
	if len(hs) != 3 || hs[1].sel != "$fake-1" || hs[2].sel != "$fake-1" || hs[2].values["read-only"] != "true" {
		t.Fatalf("join handshakes upstream %+v", hs)
	}

	// guacd's error status reaches every user.
	own.send("key", keyError, "1", "0")
	for name, c := range map[string]*client{"owner": own, "joiner": rw, "read-only joiner": ro} {
		errIns, disc := c.end()
		if errIns.op != "error" || errIns.args[1] != "521" || errIns.args[0] != "Boom." || !disc {
			t.Errorf("%s ended with %v (disconnect %v), want error 521", name, errIns, disc)
		}
	}

	// The recording holds the relayed stream with goguacd's syncs.
	var rec []byte
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		rec, _ = os.ReadFile(filepath.Join(dir, "rec"))
		if strings.Contains(string(rec), "5.cfill,2.12,1.0,1.7,") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := string(rec)
	if !strings.Contains(r, "4.rect,") || !strings.Contains(r, "5.cfill,2.12,1.0,1.7,") || !strings.Contains(r, "4.sync,") ||
		strings.Contains(r, upstreamTS) || strings.Contains(r, "3.msg,") {
		t.Fatalf("recording: %q", r)
	}
}

func TestEndToEndUpstreamClose(t *testing.T) {
	e := newE2E(t)
	own := e.dial(t)
	own.connect("rdp", map[string]string{"hostname": "desk"})
	own.expect("sync", nil)
	own.send("key", keyClose, "1", "0")
	errIns, disc := own.end()
	if errIns.op != "error" || errIns.args[1] != "515" || !disc {
		t.Fatalf("ended with %v (disconnect %v), want error 515 UPSTREAM_ERROR", errIns, disc)
	}
}

func TestEndToEndJoinerUpstreamEnds(t *testing.T) {
	e := newE2E(t)
	own := e.dial(t)
	id := own.connect("rdp", map[string]string{"hostname": "desk"})
	own.expect("sync", nil)
	j := e.dial(t)
	j.connect(id, nil)
	j.expect("sync", nil)
	j.send("key", keyError, "1", "0")
	errIns, disc := j.end()
	if errIns.op != "error" || errIns.args[1] != "521" || !disc {
		t.Fatalf("joiner ended with %v (disconnect %v)", errIns, disc)
	}
	// The owner's session goes on.
	own.send("key", keyDraw, "1", "0")
	own.expect("cfill", nil)
	own.send("disconnect")
	if errIns, _ := own.end(); errIns.op != "" {
		t.Fatalf("owner ended with %v", errIns)
	}
}
