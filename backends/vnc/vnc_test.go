package vnc_test

import (
	"context"
	"errors"
	"image"
	"image/color"
	"image/draw"
	"net"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/vnc"
	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel/tunneltest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startGoguacd serves the VNC backend on a loopback guacd listener.
func startGoguacd(t *testing.T) string {
	t.Helper()
	return tunneltest.ListenBackend(t, "vnc", vnc.New())
}

// viewer is a guacd-protocol client that rebuilds the display.
type viewer struct {
	t      *testing.T
	nc     net.Conn
	r      *protocol.Reader
	canvas displaytest.Canvas
	clip   map[string]string // stream → base64 data (clipboard streams)
	got    []string          // opcodes seen
	errs   []string          // error instructions (message, status)
	jpegs  int               // img streams of image/jpeg
}

func connectVNC(t *testing.T, addr string, params map[string]string) *viewer {
	return connectVNCImages(t, addr, params, "image/png", "image/jpeg")
}

func connectVNCImages(t *testing.T, addr string, params map[string]string, images ...string) *viewer {
	t.Helper()
	nc, r := handshakeVNC(t, addr, "vnc", "1024", "768", params, append([]string{"image"}, images...))
	return &viewer{t: t, nc: nc, r: r, clip: map[string]string{}}
}

// handshakeVNC opens (sel "vnc") or joins (sel a connection id) a VNC
// connection at the given screen size. Each of lists is a handshake
// instruction sent before connect, opcode first (e.g. "image", "image/png").
func handshakeVNC(t *testing.T, addr, sel, w, h string, params map[string]string, lists ...[]string) (net.Conn, *protocol.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := protocol.NewReader(nc)
	nc.Write(protocol.AppendInstruction(nil, "select", sel))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	in, err := r.ReadInstruction()
	if err != nil || !in.Is("args") {
		t.Fatalf("want args, got %q: %v", in.Opcode, err)
	}
	vals := []string{"VERSION_1_5_0"}
	for _, n := range in.Args[1:] {
		vals = append(vals, params[string(n)])
	}
	msg := protocol.AppendInstruction(nil, "size", w, h, "96")
	for _, l := range lists {
		msg = protocol.AppendInstruction(msg, l[0], l[1:]...)
	}
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	nc.Write(msg)
	return nc, r
}

// readWithin reads one instruction, reporting false if none arrives
// within d; any other read error fails the test.
func readWithin(t *testing.T, nc net.Conn, r *protocol.Reader, d time.Duration) (protocol.Instruction, bool) {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(d))
	in, err := r.ReadInstruction()
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return in, false
		}
		t.Fatalf("read: %v", err)
	}
	return in, true
}

func (v *viewer) next(d time.Duration) protocol.Instruction {
	v.t.Helper()
	v.nc.SetReadDeadline(time.Now().Add(d))
	in, err := v.r.ReadInstruction()
	if err != nil {
		v.t.Fatalf("read: %v (seen %v, errors %v)", err, v.got, v.errs)
	}
	return in
}

// pumpUntil hands each instruction read from r to on until cond holds
// (true) or d passes (false); any read error but a timeout fails t.
func pumpUntil(t *testing.T, nc net.Conn, r *protocol.Reader, d time.Duration, cond func() bool, on func(protocol.Instruction)) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		if in, ok := readWithin(t, nc, r, 200*time.Millisecond); ok {
			on(in)
		}
	}
	return true
}

// pump applies instructions until cond holds or d passes.
func (v *viewer) pump(d time.Duration, cond func() bool) bool {
	v.t.Helper()
	return pumpUntil(v.t, v.nc, v.r, d, cond, v.apply)
}

// apply records and draws one instruction.
func (v *viewer) apply(in protocol.Instruction) {
	v.t.Helper()
	op := string(in.Opcode)
	v.got = append(v.got, op)
	switch op {
	case "sync":
		v.nc.Write(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
	case "error":
		v.errs = append(v.errs, string(in.Args[0])+" "+string(in.Args[1]))
	case "clipboard":
		v.clip[string(in.Args[0])] = ""
	case "img":
		if string(in.Args[3]) == "image/jpeg" {
			v.jpegs++
		}
	case "blob", "end":
		if _, ok := v.clip[string(in.Args[0])]; ok {
			if op == "blob" {
				v.clip[string(in.Args[0])] += string(in.Args[1])
			}
			return // clipboard streams do not draw
		}
	}
	if err := v.canvas.Apply(v.r.Raw()); err != nil {
		v.t.Fatalf("apply %s: %v", op, err)
	}
}

func equalImages(a, b *image.RGBA) bool {
	if a == nil || b == nil || a.Rect != b.Rect {
		return false
	}
	for y := a.Rect.Min.Y; y < a.Rect.Max.Y; y++ {
		for x := a.Rect.Min.X; x < a.Rect.Max.X; x++ {
			i, j := a.PixOffset(x, y), b.PixOffset(x, y)
			if a.Pix[i] != b.Pix[j] || a.Pix[i+1] != b.Pix[j+1] || a.Pix[i+2] != b.Pix[j+2] {
				return false
			}
		}
	}
	return true
}

func TestLosslessPixelsEndToEnd(t *testing.T) {
	for _, enc := range []rfbtest.Encoding{rfbtest.Raw, rfbtest.Hextile, rfbtest.ZRLE, rfbtest.Tight} {
		t.Run(encName(enc), func(t *testing.T) {
			rs, err := rfbtest.NewServer(rfbtest.Options{Width: 320, Height: 200, Encoding: enc,
				Security: []uint8{rfbtest.SecVNC}, Password: "s3cret"})
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			addr := startGoguacd(t)
			host, port, _ := net.SplitHostPort(rs.Addr())
			v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "password": "s3cret", "force-lossless": "true"})
			same := func() bool { return equalImages(v.canvas.Image(), rs.Framebuffer()) }
			// A picture with solid areas, gradients and noise.
			rs.Draw(func(fb *image.RGBA) {
				draw.Draw(fb, image.Rect(0, 0, 160, 100), &image.Uniform{color.RGBA{200, 10, 10, 255}}, image.Point{}, draw.Src)
				for y := 100; y < 200; y++ {
					for x := 0; x < 320; x++ {
						fb.SetRGBA(x, y, color.RGBA{uint8(x), uint8(y), uint8(x * y), 255})
					}
				}
			})
			rs.Update(rfbtest.Rect{Rect: image.Rect(0, 0, 320, 200), Encoding: enc})
			if !v.pump(30*time.Second, same) {
				t.Fatalf("display differs from the server after a full update (seen %v)", v.got)
			}
			// A CopyRect must arrive as copy and keep pixels exact.
			rs.Copy(image.Rect(0, 100, 160, 200), image.Pt(160, 0))
			if !v.pump(30*time.Second, same) {
				t.Fatalf("display differs after CopyRect")
			}
			if v.canvas.Ops["copy"] == 0 {
				t.Fatalf("CopyRect was not sent as copy: %v", v.canvas.Ops)
			}
		})
	}
}

func encName(e rfbtest.Encoding) string {
	return map[rfbtest.Encoding]string{rfbtest.Raw: "raw", rfbtest.Hextile: "hextile", rfbtest.ZRLE: "zrle", rfbtest.Tight: "tight"}[e]
}

func TestInputAndClipboard(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 200, Height: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "clipboard-encoding": "CP1252"})
	v.pump(30*time.Second, func() bool { return v.canvas.Image() != nil && v.canvas.Image().Rect.Dx() == 200 })

	v.nc.Write(protocol.AppendInstruction(nil, "key", "65", "1"))
	v.nc.Write(protocol.AppendInstruction(nil, "mouse", "10", "20", "1"))
	// Paste "€uro" from the browser: CP1252 puts € at 0x80.
	msg := protocol.AppendInstruction(nil, "clipboard", "2", "text/plain")
	msg = protocol.AppendBlob(msg, 2, []byte("€uro"))
	msg = protocol.AppendEnd(msg, 2)
	v.nc.Write(msg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	evs, err := rs.WaitEvents(ctx, 3)
	if err != nil {
		t.Fatalf("events %v: %v", rs.Events(), err)
	}
	var key, ptr, cut bool
	for _, e := range evs {
		switch e.Kind {
		case rfbtest.KeyEvent:
			key = e.Keysym == 65 && e.Down
		case rfbtest.PointerEvent:
			ptr = ptr || (e.X == 10 && e.Y == 20 && e.Mask == 1)
		case rfbtest.CutTextEvent:
			cut = e.Text == "\u0080uro"
		}
	}
	if !key || !ptr || !cut {
		t.Fatalf("server events %+v", evs)
	}
	// The server's clipboard reaches the browser as UTF-8 text.
	rs.CutText("\u0080 caf\u00e9")
	if !v.pump(30*time.Second, func() bool {
		for _, b64 := range v.clip {
			if b64 != "" {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no clipboard stream")
	}
	for _, b64 := range v.clip {
		if got := decode64(t, b64); got != "€ café" {
			t.Fatalf("clipboard %q", got)
		}
	}
}

func decode64(t *testing.T, s string) string {
	b, err := base64Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConnectFailures(t *testing.T) {
	addr := startGoguacd(t)
	rs, err := rfbtest.NewServer(rfbtest.Options{Security: []uint8{rfbtest.SecVNC}, Password: "right"})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	host, port, _ := net.SplitHostPort(rs.Addr())
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	deadPort := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	for _, tc := range []struct {
		name   string
		params map[string]string
		status string
	}{
		{"wrong password", map[string]string{"hostname": host, "port": port, "password": "wrong"}, "769"},
		{"refused", map[string]string{"hostname": "127.0.0.1", "port": itoa(deadPort)}, "519"},
		{"no hostname", map[string]string{}, "768"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := connectVNC(t, addr, tc.params)
			v.pump(30*time.Second, func() bool { return len(v.errs) > 0 })
			if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " "+tc.status) {
				t.Fatalf("errors %v, want status %s", v.errs, tc.status)
			}
		})
	}
}

func TestServerMisbehaves(t *testing.T) {
	for _, tc := range []struct {
		name string
		act  func(*rfbtest.Server)
	}{
		{"garbage", (*rfbtest.Server).SendGarbage},
		{"close mid-rectangle", (*rfbtest.Server).CloseMidRect},
		{"disconnect", (*rfbtest.Server).Disconnect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := image.NewRGBA(image.Rect(0, 0, 64, 64))
			draw.Draw(red, red.Rect, &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
			rs, err := rfbtest.NewServer(rfbtest.Options{Image: red})
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			addr := startGoguacd(t)
			host, port, _ := net.SplitHostPort(rs.Addr())
			v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port})
			// Once the server's picture shows, the server has the client
			// registered and the misbehaviour reaches it.
			if !v.pump(30*time.Second, func() bool {
				img := v.canvas.Image()
				return img != nil && img.Rect.Dx() == 64 && img.RGBAAt(1, 1) == color.RGBA{255, 0, 0, 255}
			}) {
				t.Fatal("the server's picture never showed")
			}
			tc.act(rs)
			v.pump(30*time.Second, func() bool { return len(v.errs) > 0 })
			if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " 515") {
				t.Fatalf("errors %v, want 515 UPSTREAM_ERROR", v.errs)
			}
		})
	}
}

// Photo-like content that changes every frame goes out as JPEG when the
// browser takes it, and is refreshed losslessly once it stops changing;
// a browser that lists only PNG never gets JPEG.
func TestLossyThenLosslessRefresh(t *testing.T) {
	for _, tc := range []struct {
		name     string
		images   []string
		wantJPEG bool
	}{
		{"png and jpeg", []string{"image/png", "image/jpeg"}, true},
		{"png only", []string{"image/png"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := rfbtest.NewServer(rfbtest.Options{Width: 1280, Height: 800, Scenario: rfbtest.Video, Frames: 30, MaxFPS: 30})
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			addr := startGoguacd(t)
			host, port, _ := net.SplitHostPort(rs.Addr())
			v := connectVNCImages(t, addr, map[string]string{"hostname": host, "port": port}, tc.images...)
			done := func() bool {
				select {
				case <-rs.Done():
					return displaytest.DiffPixels(v.canvas.Image(), rs.Framebuffer()) == 0
				default:
					return false
				}
			}
			if !v.pump(60*time.Second, done) {
				t.Fatalf("display never became exact after the video stopped: PSNR %.1f dB", displaytest.PSNR(v.canvas.Image(), rs.Framebuffer()))
			}
			if got := v.jpegs > 0; got != tc.wantJPEG {
				t.Fatalf("JPEG used: %v, want %v (ops %v)", got, tc.wantJPEG, v.canvas.Ops)
			}
		})
	}
}
