package rfb

import (
	"context"
	"errors"
	"image"
	"image/color"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

func TestCopyRectAndLastRect(t *testing.T) {
	img := testImage(160, 120)
	s := start(t, rfbtest.Options{Image: img}, Config{})
	s.sink.waitFor(t, "end")
	// Overlapping copies in all four directions.
	moves := []struct {
		src image.Rectangle
		dst image.Point
	}{
		{image.Rect(0, 0, 100, 80), image.Pt(10, 7)},
		{image.Rect(10, 7, 110, 87), image.Pt(0, 0)},
		{image.Rect(50, 30, 150, 110), image.Pt(45, 35)},
		{image.Rect(0, 20, 160, 120), image.Pt(0, 0)},
	}
	for _, m := range moves {
		s.srv.Copy(m.src, m.dst)
		e := s.sink.waitFor(t, "copy")
		if e.rect != m.src || e.pt != m.dst {
			t.Errorf("CopyRect(%v, %v) reported as (%v, %v)", m.src, m.dst, e.rect, e.pt)
		}
		s.sink.waitFor(t, "end")
		assertSame(t, s.c.Framebuffer(), s.srv.Framebuffer())
	}
	// LastRect: the update ends at the LastRect marker, not at a count.
	s.srv.Draw(func(fb *image.RGBA) { fb.SetRGBA(3, 3, color.RGBA{1, 2, 3, 255}) })
	s.srv.UpdateLastRect(rfbtest.Rect{Rect: image.Rect(0, 0, 8, 8), Encoding: rfbtest.Hextile})
	s.sink.waitFor(t, "end")
	assertSame(t, s.c.Framebuffer(), s.srv.Framebuffer())
}

func TestCursor(t *testing.T) {
	s := start(t, rfbtest.Options{Width: 32, Height: 32}, Config{ColorDepth: 16})
	s.sink.waitFor(t, "end")
	cur := image.NewRGBA(image.Rect(0, 0, 11, 5))
	cur.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	cur.SetRGBA(10, 4, color.RGBA{0, 0, 255, 255})
	cur.SetRGBA(9, 4, color.RGBA{0, 255, 0, 0}) // masked out
	s.srv.SetCursor(image.Pt(2, 3), cur)
	e := s.sink.waitFor(t, "cursor")
	if e.pt != image.Pt(2, 3) || e.cursor.Rect != cur.Rect {
		t.Fatalf("cursor hotspot %v size %v", e.pt, e.cursor.Rect)
	}
	for _, p := range []struct {
		x, y int
		want color.RGBA
	}{
		{0, 0, color.RGBA{255, 0, 0, 255}},
		{10, 4, color.RGBA{0, 0, 255, 255}},
		{9, 4, color.RGBA{}},
		{5, 2, color.RGBA{}},
	} {
		if got := e.cursor.RGBAAt(p.x, p.y); got != p.want {
			t.Errorf("cursor pixel (%d,%d) = %v, want %v", p.x, p.y, got, p.want)
		}
	}
}

func TestResize(t *testing.T) {
	for _, tt := range []struct {
		name string
		encs []string
	}{
		{"extended", nil},
		{"desktop-size", []string{"raw", "desktop-size"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, rfbtest.Options{Width: 40, Height: 30, AllowResize: true}, Config{Encodings: tt.encs})
			if e := s.sink.waitFor(t, "resize"); e.w != 40 || e.h != 30 {
				t.Fatalf("initial resize %dx%d", e.w, e.h)
			}
			s.sink.waitFor(t, "end")
			s.srv.Draw(func(fb *image.RGBA) { fb.SetRGBA(1, 1, color.RGBA{9, 9, 9, 255}) })
			s.srv.Resize(70, 20)
			if e := s.sink.waitFor(t, "resize"); e.w != 70 || e.h != 20 {
				t.Fatalf("resize %dx%d", e.w, e.h)
			}
			// The resize update, then the full update the client asks for
			// after every resize.
			s.sink.waitFor(t, "end")
			s.sink.waitFor(t, "end")
			assertSame(t, s.c.Framebuffer(), s.srv.Framebuffer())
			if got := s.c.SupportsResize(); got != (tt.encs == nil) {
				t.Fatalf("SupportsResize = %v", got)
			}
			if tt.encs != nil {
				if err := s.c.SetDesktopSize(10, 10); !errors.Is(err, ErrUnsupported) {
					t.Fatalf("SetDesktopSize = %v, want ErrUnsupported", err)
				}
				return
			}
			if err := s.c.SetDesktopSize(100, 50); err != nil {
				t.Fatal(err)
			}
			if e := s.sink.waitFor(t, "resize"); e.w != 100 || e.h != 50 {
				t.Fatalf("resize after SetDesktopSize %dx%d", e.w, e.h)
			}
			s.sink.waitFor(t, "end")
			s.sink.waitFor(t, "end")
			assertSame(t, s.c.Framebuffer(), s.srv.Framebuffer())
		})
	}
}

func TestInputEvents(t *testing.T) {
	s := start(t, rfbtest.Options{Width: 16, Height: 16}, Config{})
	s.sink.waitFor(t, "end")
	steps := []func() error{
		func() error { return s.c.KeyEvent(0xff0d, true) },
		func() error { return s.c.KeyEvent(0xff0d, false) },
		func() error { return s.c.PointerEvent(5, 12, 70000) },
		func() error { return s.c.CutText("héllo €") },
		func() error { return s.c.PointerEvent(0, -3, 4) },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := s.srv.WaitEvents(ctx, len(steps))
	if err != nil {
		t.Fatal(err)
	}
	want := []rfbtest.Event{
		{Kind: rfbtest.KeyEvent, Keysym: 0xff0d, Down: true},
		{Kind: rfbtest.KeyEvent, Keysym: 0xff0d},
		{Kind: rfbtest.PointerEvent, Mask: 5, X: 12, Y: 65535},
		{Kind: rfbtest.CutTextEvent, Text: "héllo ?"},
		{Kind: rfbtest.PointerEvent, X: 0, Y: 4},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestServerMessages(t *testing.T) {
	s := start(t, rfbtest.Options{Width: 16, Height: 16}, Config{})
	s.sink.waitFor(t, "end")
	s.srv.CutText("ça va")
	if e := s.sink.waitFor(t, "cut"); e.text != "ça va" {
		t.Errorf("cut text %q", e.text)
	}
	s.srv.Bell()
	s.sink.waitFor(t, "bell")
}

func TestEncodingsSent(t *testing.T) {
	q, l := 7, 2
	s := start(t, rfbtest.Options{Width: 8, Height: 8}, Config{
		Encodings: []string{"zrle hextile", "bogus", "raw"}, NoCursor: true,
		QualityLevel: &q, CompressLevel: &l,
	})
	s.sink.waitFor(t, "end")
	want := []int32{16, 5, 0, -223, -308, -224, -32 + 7, -256 + 2}
	got := s.srv.ClientEncodings()
	if len(got) != len(want) {
		t.Fatalf("encodings %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("encodings %v, want %v", got, want)
		}
	}
	if pf := s.srv.ClientPixelFormat(); pf.BPP != 32 || pf.RedShift != 0 || pf.BlueShift != 16 || pf.BigEndian {
		t.Errorf("pixel format %+v, want 32 bpp little-endian R,G,B,X", pf)
	}
}

func TestTightJPEG(t *testing.T) {
	// A smooth picture: JPEG must come back close to it.
	img := image.NewRGBA(image.Rect(0, 0, 96, 64))
	for y := 0; y < 64; y++ {
		for x := 0; x < 96; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 2), uint8(y * 3), uint8(x + y), 255})
		}
	}
	for _, swap := range []bool{false, true} {
		s := start(t, rfbtest.Options{Image: img, Encoding: rfbtest.Tight, Encoder: rfbtest.EncoderOptions{JPEGQuality: 95}}, Config{SwapRedBlue: swap})
		s.sink.waitFor(t, "end")
		want := expected(img, 32, swap)
		got := s.c.Framebuffer()
		var sum, n int
		for y := range want.Rect.Dy() {
			for x := range want.Rect.Dx() {
				g, w := got.RGBAAt(x, y), want.RGBAAt(x, y)
				for _, d := range []int{int(g.R) - int(w.R), int(g.G) - int(w.G), int(g.B) - int(w.B)} {
					sum += d * d
					n++
				}
			}
		}
		if mse := float64(sum) / float64(n); mse > 12 {
			t.Errorf("swap=%v: JPEG mean squared error %.1f", swap, mse)
		}
	}
}

// TestMisbehaviour: garbage, a connection closed inside a rectangle and a
// plain disconnect all end Run with an error, without panics or leaks.
func TestMisbehaviour(t *testing.T) {
	for _, tt := range []struct {
		name string
		do   func(*rfbtest.Server)
		want error
	}{
		{"garbage", (*rfbtest.Server).SendGarbage, ErrProtocol},
		{"close-mid-rect", (*rfbtest.Server).CloseMidRect, io.ErrUnexpectedEOF},
		{"disconnect", (*rfbtest.Server).Disconnect, io.EOF},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, rfbtest.Options{Width: 64, Height: 64}, Config{})
			s.sink.waitFor(t, "end")
			tt.do(s.srv)
			select {
			case err := <-s.done:
				s.done <- err // for cleanup
				// Closing with our update request unread makes the kernel
				// send a reset, which is just as clean an end.
				reset := tt.want != ErrProtocol && errors.Is(err, syscall.ECONNRESET)
				if !errors.Is(err, tt.want) && !reset {
					t.Fatalf("Run = %v, want %v", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
		})
	}
}

func TestRunContextCancel(t *testing.T) {
	s := start(t, rfbtest.Options{Width: 8, Height: 8}, Config{})
	s.sink.waitFor(t, "end")
	s.cancel()
	select {
	case err := <-s.done:
		s.done <- err
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	// Writes after the end fail cleanly rather than hang.
	s.c.Close()
	if err := s.c.KeyEvent(1, true); err == nil || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("KeyEvent after Close = %v", err)
	}
}
