package ssh

import (
	"encoding/base64"
	"errors"
	"image"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/display"
	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh/render"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel"
	"github.com/goguacd/goguacd/tunnel/tunneltest"
)

// startGoguacd serves the SSH backend (cursor blink off, so frames are
// deterministic) on a loopback guacd listener.
func startGoguacd(t *testing.T) string {
	t.Helper()
	reg := &backends.Registry{}
	reg.Register("ssh", &Backend{})
	addr, _ := tunneltest.Listen(t, tunnel.Config{Backends: reg, Logger: slog.New(slog.NewTextHandler(testLog(), nil))})
	return addr
}

// viewer is a guacd-protocol client that rebuilds the display and keeps
// what non-drawing instructions carried.
type viewer struct {
	t       *testing.T
	nc      net.Conn
	r       *protocol.Reader
	canvas  displaytest.Canvas
	streams map[string]*outStream // server → client streams by index
	names   []string              // `name` instructions
	errs    []string              // error instructions: "message status"
	acks    map[string]string     // stream → "message status" of the first ack
	fsObj   string                // filesystem object index, "" until exposed
	got     []string
	ended   bool
	synced  bool   // the last instruction ended a frame
	id      string // connection id from ready
}

// outStream is a clipboard, argv, file or body stream from the server.
type outStream struct {
	kind, name string
	data       []byte
	done       bool
}

const viewW, viewH = 800, 480

func connect(t *testing.T, addr string, params map[string]string) *viewer {
	t.Helper()
	return connectAs(t, addr, "ssh", params)
}

// connectAs selects proto, which is a protocol name or, to join, a
// connection id.
func connectAs(t *testing.T, addr, proto string, params map[string]string) *viewer {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	v := &viewer{t: t, nc: nc, r: protocol.NewReader(nc), streams: map[string]*outStream{}, acks: map[string]string{}}
	v.send(protocol.AppendInstruction(nil, "select", proto))
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	in, err := v.r.ReadInstruction()
	if err != nil || !in.Is("args") {
		t.Fatalf("want args: %v %q", err, in.Opcode)
	}
	vals := []string{"VERSION_1_5_0"}
	for _, n := range in.Args[1:] {
		vals = append(vals, params[string(n)])
	}
	msg := protocol.AppendInstruction(nil, "size", itoa(viewW), itoa(viewH), "96")
	msg = protocol.AppendInstruction(msg, "image", "image/png")
	msg = protocol.AppendInstruction(msg, "timezone", "Europe/Paris")
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	v.send(msg)
	return v
}

func (v *viewer) send(p []byte) {
	v.t.Helper()
	v.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := v.nc.Write(p); err != nil {
		v.t.Fatalf("write: %v", err)
	}
}

// typeText sends key press and release for each character; '\r' is Enter.
func (v *viewer) typeText(s string) {
	var msg []byte
	for _, r := range s {
		ks := int(r)
		switch {
		case r == '\r':
			ks = 0xFF0D
		case r >= 0x100:
			ks = 0x01000000 | int(r)
		}
		msg = protocol.AppendInstruction(msg, "key", itoa(ks), "1")
		msg = protocol.AppendInstruction(msg, "key", itoa(ks), "0")
	}
	v.send(msg)
}

func (v *viewer) key(ks int, pressed bool) {
	p := "0"
	if pressed {
		p = "1"
	}
	v.send(protocol.AppendInstruction(nil, "key", itoa(ks), p))
}

func (v *viewer) mouse(x, y, mask int) {
	v.send(protocol.AppendInstruction(nil, "mouse", itoa(x), itoa(y), itoa(mask)))
}

// pump applies instructions until cond holds or d passes.
func (v *viewer) pump(d time.Duration, cond func() bool) bool {
	v.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) || v.ended {
			return cond()
		}
		v.nc.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		in, err := v.r.ReadInstruction()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			v.ended = true
			continue
		}
		v.handle(in)
	}
	return true
}

func (v *viewer) handle(in protocol.Instruction) {
	v.t.Helper()
	op := string(in.Opcode)
	v.got = append(v.got, op)
	v.synced = op == "sync"
	arg := func(i int) string { return string(in.Arg(i)) }
	switch op {
	case "sync":
		// The server may already have closed after this frame (the shell
		// exited): a failed acknowledgement is not the test's failure,
		// the read that follows reports the close.
		v.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		_, _ = v.nc.Write(protocol.AppendInstruction(nil, "sync", arg(0)))
		return
	case "error":
		v.errs = append(v.errs, arg(0)+" "+arg(1))
		return
	case "disconnect":
		v.ended = true
		return
	case "name":
		v.names = append(v.names, arg(0))
		return
	case "ready":
		v.id = arg(0)
		return
	case "ack":
		if _, seen := v.acks[arg(0)]; !seen { // the first ack answers the open
			v.acks[arg(0)] = arg(1) + " " + arg(2)
		}
		return
	case "filesystem":
		v.fsObj = arg(0)
		return
	case "clipboard", "argv":
		v.streams[arg(0)] = &outStream{kind: op, name: arg(2)}
		if op == "clipboard" {
			v.streams[arg(0)].name = ""
		}
		return
	case "body":
		v.streams[arg(1)] = &outStream{kind: arg(2), name: arg(3)}
		v.send(protocol.AppendAck(nil, atoi(in.Args[1]), "OK", protocol.StatusSuccess))
		return
	case "blob", "end":
		if st, ok := v.streams[arg(0)]; ok {
			if op == "blob" {
				b, err := base64.StdEncoding.DecodeString(arg(1))
				if err != nil {
					v.t.Fatalf("blob: %v", err)
				}
				st.data = append(st.data, b...)
				if st.kind != "clipboard" && st.kind != "argv" {
					v.send(protocol.AppendAck(nil, atoi(in.Args[0]), "OK", protocol.StatusSuccess))
				}
			} else {
				st.done = true
				delete(v.streams, arg(0))
				v.streams[arg(0)+"/"+itoa(len(v.got))] = st
			}
			return
		}
	}
	if err := v.canvas.Apply(v.r.Raw()); err != nil {
		v.t.Fatalf("apply %s: %v", op, err)
	}
}

// finished returns the completed streams of a kind (clipboard, argv or a
// body mimetype).
func (v *viewer) finished(kind string) []*outStream {
	var out []*outStream
	for _, st := range v.streams {
		if st.done && st.kind == kind {
			out = append(out, st)
		}
	}
	return out
}

// reference renders what a fresh terminal of the same size shows after
// data, the way the backend draws it.
func reference(t *testing.T, cols, rows int, data []byte) (*term.Terminal, *rgb.Image) {
	t.Helper()
	tm := term.New(cols, rows, term.Options{})
	tm.Write(data)
	eng := display.New(1, 1, display.Options{Lossless: true})
	r, err := render.New(eng, render.Options{DPI: 96})
	if err != nil {
		t.Fatal(err)
	}
	r.Render(tm)
	return tm, eng.Image()
}

// gridFor is the grid the backend picks for the viewer's size.
func gridFor(t *testing.T, w, h int) (cols, rows int) {
	t.Helper()
	r, err := render.New(display.New(1, 1, display.Options{}), render.Options{DPI: 96})
	if err != nil {
		t.Fatal(err)
	}
	return r.GridSize(w, h)
}

// sameRGB reports whether the client's picture a shows the server's
// framebuffer b exactly.
func sameRGB(a *image.RGBA, b *rgb.Image) bool {
	return a != nil && b != nil && a.Rect == b.Rect && displaytest.DiffPixels(a, b) == 0
}

// testLog is where the backend logs: stderr with GOGUACD_TEST_LOG=1.
func testLog() io.Writer {
	if os.Getenv("GOGUACD_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
