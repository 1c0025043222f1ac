package demo

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// rfbClient is a minimal RFB 3.8 viewer keeping a copy of the screen.
type rfbClient struct {
	t      *testing.T
	nc     net.Conn
	br     *bufio.Reader
	w, h   int
	screen *image.RGBA
	copies int
}

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, s *Server, version string) *rfbClient {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	_ = nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := &rfbClient{t: t, nc: nc, br: bufio.NewReader(nc)}
	c.read(12) // server version
	c.write([]byte(version))
	if version == "RFB 003.003\n" {
		if got := binary.BigEndian.Uint32(c.read(4)); got != 1 {
			t.Fatalf("3.3 security %d", got)
		}
	} else {
		if types := c.read(2); types[0] != 1 || types[1] != 1 {
			t.Fatalf("security types %v", types)
		}
		c.write([]byte{1})
		if version == "RFB 003.008\n" {
			if r := binary.BigEndian.Uint32(c.read(4)); r != 0 {
				t.Fatalf("security result %d", r)
			}
		}
	}
	c.write([]byte{1}) // shared
	init := c.read(24)
	c.w, c.h = int(binary.BigEndian.Uint16(init[0:])), int(binary.BigEndian.Uint16(init[2:]))
	if init[4] != 32 || init[7] != 1 {
		t.Fatalf("pixel format %v", init[4:20])
	}
	name := c.read(int(binary.BigEndian.Uint32(init[20:])))
	if string(name) != serverName {
		t.Fatalf("name %q", name)
	}
	c.screen = image.NewRGBA(image.Rect(0, 0, c.w, c.h))
	return c
}

func (c *rfbClient) read(n int) []byte {
	c.t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(c.br, b); err != nil {
		c.t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

func (c *rfbClient) write(b []byte) {
	c.t.Helper()
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rfbClient) setEncodings(encs ...int32) {
	b := []byte{msgSetEncodings, 0}
	b = binary.BigEndian.AppendUint16(b, uint16(len(encs)))
	for _, e := range encs {
		b = binary.BigEndian.AppendUint32(b, uint32(e))
	}
	c.write(b)
}

func (c *rfbClient) request(incremental bool) {
	b := []byte{msgUpdateRequest, 0, 0, 0, 0, 0}
	if incremental {
		b[1] = 1
	}
	b = binary.BigEndian.AppendUint16(b, uint16(c.w))
	b = binary.BigEndian.AppendUint16(b, uint16(c.h))
	c.write(b)
}

func (c *rfbClient) key(keysym uint32) {
	for _, down := range []byte{1, 0} {
		b := []byte{msgKeyEvent, down, 0, 0}
		c.write(binary.BigEndian.AppendUint32(b, keysym))
	}
}

func (c *rfbClient) pointer(mask byte, x, y int) {
	b := []byte{msgPointerEvent, mask}
	b = binary.BigEndian.AppendUint16(b, uint16(x))
	c.write(binary.BigEndian.AppendUint16(b, uint16(y)))
}

// update reads one FramebufferUpdate into the screen and returns the
// rectangles it covered.
func (c *rfbClient) update() []image.Rectangle {
	c.t.Helper()
	hdr := c.read(4)
	if hdr[0] != framebufferUpdate {
		c.t.Fatalf("message type %d", hdr[0])
	}
	var rects []image.Rectangle
	for range int(binary.BigEndian.Uint16(hdr[2:])) {
		rh := c.read(12)
		x, y := int(binary.BigEndian.Uint16(rh[0:])), int(binary.BigEndian.Uint16(rh[2:]))
		r := image.Rect(x, y, x+int(binary.BigEndian.Uint16(rh[4:])), y+int(binary.BigEndian.Uint16(rh[6:])))
		switch enc := int32(binary.BigEndian.Uint32(rh[8:])); enc {
		case encRaw:
			px := c.read(r.Dx() * r.Dy() * 4)
			i := 0
			for yy := r.Min.Y; yy < r.Max.Y; yy++ {
				for xx := r.Min.X; xx < r.Max.X; xx++ {
					v := binary.LittleEndian.Uint32(px[i:])
					c.screen.Pix[c.screen.PixOffset(xx, yy)+0] = byte(v >> 16)
					c.screen.Pix[c.screen.PixOffset(xx, yy)+1] = byte(v >> 8)
					c.screen.Pix[c.screen.PixOffset(xx, yy)+2] = byte(v)
					c.screen.Pix[c.screen.PixOffset(xx, yy)+3] = 255
					i += 4
				}
			}
		case encCopyRect:
			src := c.read(4)
			sp := image.Pt(int(binary.BigEndian.Uint16(src[0:])), int(binary.BigEndian.Uint16(src[2:])))
			tmp := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
			for yy := 0; yy < r.Dy(); yy++ {
				copy(tmp.Pix[tmp.PixOffset(0, yy):tmp.PixOffset(r.Dx(), yy)], c.screen.Pix[c.screen.PixOffset(sp.X, sp.Y+yy):c.screen.PixOffset(sp.X+r.Dx(), sp.Y+yy)])
			}
			for yy := 0; yy < r.Dy(); yy++ {
				copy(c.screen.Pix[c.screen.PixOffset(r.Min.X, r.Min.Y+yy):c.screen.PixOffset(r.Max.X, r.Min.Y+yy)], tmp.Pix[tmp.PixOffset(0, yy):tmp.PixOffset(r.Dx(), yy)])
			}
			c.copies++
		default:
			c.t.Fatalf("encoding %d", enc)
		}
		rects = append(rects, r)
	}
	return rects
}

// count returns how many pixels of r have colour col.
func (c *rfbClient) count(r image.Rectangle, col [3]byte) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := c.screen.Pix[c.screen.PixOffset(x, y):]
			if p[0] == col[0] && p[1] == col[1] && p[2] == col[2] {
				n++
			}
		}
	}
	return n
}

var (
	ink  = [3]byte{inkColor.R, inkColor.G, inkColor.B}
	text = [3]byte{textColor.R, textColor.G, textColor.B}
)

func TestHandshakeVersionsAndFullFrame(t *testing.T) {
	for _, v := range []string{"RFB 003.008\n", "RFB 003.007\n", "RFB 003.003\n"} {
		s := start(t, Config{Width: 320, Height: 200})
		c := dial(t, s, v)
		if c.w != 320 || c.h != 200 {
			t.Fatalf("%q: size %dx%d", v, c.w, c.h)
		}
		c.request(false)
		rects := c.update()
		if len(rects) != 1 || rects[0] != image.Rect(0, 0, 320, 200) {
			t.Fatalf("%q: first update %v", v, rects)
		}
		if c.count(image.Rect(0, 0, 320, headerHeight), text) == 0 {
			t.Fatalf("%q: no header text", v)
		}
	}
}

func TestTypingDrawingAndClock(t *testing.T) {
	ticks := make(chan time.Time)
	s := start(t, Config{Ticks: ticks})
	c := dial(t, s, "RFB 003.008\n")
	if c.w != 1024 || c.h != 768 {
		t.Fatalf("default size %dx%d", c.w, c.h)
	}
	c.setEncodings(encCopyRect, encRaw)
	c.request(false)
	c.update()
	line0 := s.d.lineRect(0)
	before := c.count(line0, text)

	c.key('h')
	c.key('i')
	c.key(0x01000000 | 'é')
	for c.count(line0, text) <= before+10 {
		c.request(true)
		c.update()
	}
	s.d.mu.Lock()
	got := s.d.lines[0]
	s.d.mu.Unlock()
	if got != "hié" {
		t.Fatalf("typed %q", got)
	}

	// Drag with button 1: a line of ink.
	c.pointer(0, 100, 400)
	c.pointer(1, 100, 400)
	c.pointer(1, 300, 400)
	c.pointer(0, 300, 400)
	for c.count(image.Rect(150, 398, 250, 403), ink) < 100 {
		c.request(true)
		c.update()
	}
	// Moving without a button draws nothing.
	c.pointer(0, 100, 600)
	c.pointer(0, 300, 600)

	// The clock redraws the header.
	ticks <- time.Date(2026, 1, 1, 12, 34, 56, 0, time.UTC)
	c.request(true)
	if rects := c.update(); len(rects) == 0 || rects[0].Min.Y != 0 {
		t.Fatalf("clock update %v", rects)
	}
	if c.count(image.Rect(0, 550, 1024, 650), ink) != 0 {
		t.Fatal("pointer motion without a button drew")
	}
}

func TestScrollUsesCopyRect(t *testing.T) {
	s := start(t, Config{Width: 200, Height: 100, Ticks: make(chan time.Time)})
	c := dial(t, s, "RFB 003.008\n")
	c.setEncodings(encCopyRect, encRaw)
	c.request(false)
	c.update()
	lines := s.d.maxLines()
	for i := range lines + 2 {
		c.key('a' + uint32(i))
		c.key(0xff0d)
	}
	// Keep updating until the client's copy matches the server's screen.
	for range 100 {
		s.d.mu.Lock()
		same := true
		for i := range c.screen.Pix {
			if i%4 != 3 && c.screen.Pix[i] != s.d.img.Pix[i] {
				same = false
				break
			}
		}
		s.d.mu.Unlock()
		if same && c.copies > 0 {
			return
		}
		c.request(true)
		c.update()
	}
	t.Fatalf("screen never converged (copies %d)", c.copies)
}

func TestRejectsOtherPixelFormats(t *testing.T) {
	s := start(t, Config{Width: 100, Height: 100})
	c := dial(t, s, "RFB 003.008\n")
	pf := defaultFormat
	pf.bitsPerPixel, pf.depth = 16, 16
	c.write(append([]byte{msgSetPixelFormat, 0, 0, 0}, pf.encode()...))
	c.request(false)
	// The server hangs up; the request it never read may turn the close
	// into a reset, which is a hang-up too.
	if _, err := io.ReadAll(c.br); err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("server did not hang up: %v", err)
	}
	if _, err := decodeFormat(defaultFormat.encode()); err != nil {
		t.Fatal(err)
	}
}

func TestBigEndianFormat(t *testing.T) {
	s := start(t, Config{Width: 64, Height: 64})
	c := dial(t, s, "RFB 003.008\n")
	pf := defaultFormat
	pf.bigEndian, pf.redShift, pf.blueShift = true, 0, 16
	c.write(append([]byte{msgSetPixelFormat, 0, 0, 0}, pf.encode()...))
	c.request(false)
	hdr := c.read(4 + 12)
	if int32(binary.BigEndian.Uint32(hdr[12:])) != encRaw {
		t.Fatal("not raw")
	}
	px := c.read(4) // pixel (0,0): header background
	v := binary.BigEndian.Uint32(px)
	if byte(v) != headerBG.R || byte(v>>8) != headerBG.G || byte(v>>16) != headerBG.B {
		t.Fatalf("pixel %08x, want header colour %v", v, headerBG)
	}
}

func TestSizeLimits(t *testing.T) {
	if _, err := Start(context.Background(), Config{Width: 10, Height: 10}); err == nil {
		t.Fatal("accepted 10x10")
	}
}
