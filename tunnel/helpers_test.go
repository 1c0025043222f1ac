package tunnel

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer is a Server on a loopback listener with the test backend
// registered as "test".
type testServer struct {
	*Server
	addr string
	be   *backendtest.Backend
	ln   net.Listener
}

func newTestServer(t *testing.T, mod func(*Config)) *testServer {
	t.Helper()
	be := backendtest.New()
	reg := &backends.Registry{}
	reg.Register("test", be)
	cfg := Config{Backends: reg, Logger: testLogger(t)}
	if mod != nil {
		mod(&cfg)
	}
	srv := NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeListener(context.Background(), ln, nil) }()
	ts := &testServer{Server: srv, addr: ln.Addr().String(), be: be, ln: ln}
	t.Cleanup(func() {
		ln.Close()
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ts
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// client is a raw guacd-protocol client for tests.
type client struct {
	t  *testing.T
	nc net.Conn
	r  *protocol.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, r: protocol.NewReader(nc)}
}

func (c *client) send(op string, args ...string) {
	c.t.Helper()
	c.sendRaw(string(protocol.AppendInstruction(nil, op, args...)))
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	if _, err := c.nc.Write([]byte(s)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ins is a copied instruction.
type ins struct {
	op   string
	args []string
}

func (i ins) String() string { return i.op + "(" + strings.Join(i.args, ",") + ")" }

// read returns the next instruction within d.
func (c *client) read(d time.Duration) (ins, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(d))
	in, err := c.r.ReadInstruction()
	if err != nil {
		return ins{}, err
	}
	out := ins{op: string(in.Opcode)}
	for _, a := range in.Args {
		out.args = append(out.args, string(a))
	}
	return out, nil
}

// expect reads until an instruction with opcode op arrives (skipping nop,
// sync and drawing), failing on error or disconnect.
func (c *client) expect(op string) ins {
	c.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		in, err := c.read(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %q: %v", op, err)
		}
		if in.op == op {
			return in
		}
		if in.op == "error" || in.op == "disconnect" {
			c.t.Fatalf("waiting for %q: got %v", op, in)
		}
	}
	c.t.Fatalf("timed out waiting for %q", op)
	return ins{}
}

// closedWith reads until the server closes, returning every instruction.
func (c *client) closedWith(d time.Duration) ([]ins, error) {
	var got []ins
	deadline := time.Now().Add(d)
	for {
		in, err := c.read(time.Until(deadline))
		if err != nil {
			if errors.Is(err, io.EOF) || isConnReset(err) {
				return got, nil
			}
			return got, err
		}
		got = append(got, in)
	}
}

// connectTest performs a full handshake for the test backend and returns
// the connection id.
func (c *client) connectTest(version string, params map[string]string) string {
	c.t.Helper()
	c.send("select", "test")
	args := c.expect("args")
	if args.args[0] != "VERSION_1_5_0" {
		c.t.Fatalf("args version %q", args.args[0])
	}
	c.send("size", "1024", "768", "96")
	c.send("audio")
	c.send("video")
	c.send("image", "image/png", "image/jpeg")
	c.send("timezone", "UTC")
	vals := []string{version}
	for _, n := range args.args[1:] {
		vals = append(vals, params[n])
	}
	c.send("connect", vals...)
	return c.expect("ready").args[0]
}
