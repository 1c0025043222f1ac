package rfb

import (
	"context"
	"image"
	"image/color"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sinkEvent is one Sink call, recorded for tests.
type sinkEvent struct {
	kind   string // resize, damage, copy, cursor, end, bell, cut
	rect   image.Rectangle
	pt     image.Point
	w, h   int
	cursor *image.RGBA
	text   string
}

// chanSink forwards every Sink call to a buffered channel.
type chanSink chan sinkEvent

func (s chanSink) Resize(w, h int)          { s <- sinkEvent{kind: "resize", w: w, h: h} }
func (s chanSink) Damage(r image.Rectangle) { s <- sinkEvent{kind: "damage", rect: r} }
func (s chanSink) CopyRect(src image.Rectangle, dst image.Point) {
	s <- sinkEvent{kind: "copy", rect: src, pt: dst}
}
func (s chanSink) Cursor(hot image.Point, img *image.RGBA) {
	s <- sinkEvent{kind: "cursor", pt: hot, cursor: img}
}
func (s chanSink) EndOfUpdate()              { s <- sinkEvent{kind: "end"} }
func (s chanSink) Bell()                     { s <- sinkEvent{kind: "bell"} }
func (s chanSink) ServerCutText(text string) { s <- sinkEvent{kind: "cut", text: text} }

// waitFor drains events until one of kind arrives (or fails the test after
// 10 s), returning it.
func (s chanSink) waitFor(t testing.TB, kind string) sinkEvent {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case e := <-s:
			if e.kind == kind {
				return e
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", kind)
		}
	}
}

// session is a connected client running against a fake server.
type session struct {
	srv    *rfbtest.Server
	c      *Client
	sink   chanSink
	cancel context.CancelFunc
	done   chan error
}

// start launches a server, connects a client and runs it. Everything is
// torn down at cleanup.
func start(t testing.TB, opts rfbtest.Options, cfg Config) *session {
	t.Helper()
	srv, err := rfbtest.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, "tcp", srv.Addr(), cfg)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	s := &session{srv: srv, c: c, sink: make(chanSink, 4096), done: make(chan error, 1)}
	rctx, rcancel := context.WithCancel(context.Background())
	s.cancel = rcancel
	go func() { s.done <- c.Run(rctx, s.sink) }()
	t.Cleanup(func() {
		rcancel()
		c.Close()
		<-s.done
	})
	return s
}

// testImage has solid, two-colour, few-colour and noisy regions so that
// every sub-encoding of every encoder gets used. Sizes are deliberately
// not multiples of the 16 and 64 pixel tiles.
func testImage(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	seed := uint32(1)
	rnd := func() uint32 {
		seed ^= seed << 13
		seed ^= seed >> 17
		seed ^= seed << 5
		return seed
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			switch {
			case x < w/2 && y < h/2: // solid with one small box
				c = color.RGBA{30, 60, 200, 255}
				if x > 5 && x < 12 && y > 3 && y < 9 {
					c = color.RGBA{255, 255, 0, 255}
				}
			case x >= w/2 && y < h/2: // two colours: text-like
				c = color.RGBA{250, 250, 250, 255}
				if (x*7+y*3)%11 < 3 {
					c = color.RGBA{10, 10, 10, 255}
				}
			case x < w/2: // eight colours in stripes
				k := uint8((x/3 + y/5) % 8)
				c = color.RGBA{k * 32, 255 - k*32, k * 16, 255}
			default: // noise
				v := rnd()
				c = color.RGBA{uint8(v), uint8(v >> 8), uint8(v >> 16), 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// quadrants splits r into its four quarters plus a final whole-rectangle
// update, so both small (palette/fill) and large rectangles are encoded.
func quadrants(r image.Rectangle, enc rfbtest.Encoding) []rfbtest.Rect {
	mx, my := (r.Min.X+r.Max.X)/2, (r.Min.Y+r.Max.Y)/2
	var out []rfbtest.Rect
	for _, q := range []image.Rectangle{
		image.Rect(r.Min.X, r.Min.Y, mx, my), image.Rect(mx, r.Min.Y, r.Max.X, my),
		image.Rect(r.Min.X, my, mx, r.Max.Y), image.Rect(mx, my, r.Max.X, r.Max.Y),
	} {
		out = append(out, rfbtest.Rect{Rect: q, Encoding: enc})
	}
	return out
}

func maxes(depth int) (r, g, b uint16) {
	switch depth {
	case 16:
		return 31, 63, 31
	case 8:
		return 7, 7, 3
	}
	return 255, 255, 255
}

// expand is the inverse of rfbtest.Quantize as the client does it.
func expand(v uint32, max uint16) uint8 { return uint8((v*255 + uint32(max)/2) / uint32(max)) }

// expected is what the client must show for src at depth, with swap.
func expected(src *image.RGBA, depth int, swap bool) *image.RGBA {
	rm, gm, bm := maxes(depth)
	out := image.NewRGBA(src.Rect)
	for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
		for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
			c := src.RGBAAt(x, y)
			if swap {
				c.R, c.B = c.B, c.R
			}
			out.SetRGBA(x, y, color.RGBA{
				expand(rfbtest.Quantize(c.R, rm), rm),
				expand(rfbtest.Quantize(c.G, gm), gm),
				expand(rfbtest.Quantize(c.B, bm), bm), 255})
		}
	}
	return out
}

// rgbaImage is an *image.RGBA or an *rgb.Image.
type rgbaImage interface {
	image.Image
	RGBAAt(x, y int) color.RGBA
}

// diff returns the first differing pixel, or ok.
func diff(got, want rgbaImage) (image.Point, color.RGBA, color.RGBA, bool) {
	b := want.Bounds()
	if got.Bounds() != b {
		return image.Point{}, color.RGBA{}, color.RGBA{}, false
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if g, w := got.RGBAAt(x, y), want.RGBAAt(x, y); g != w {
				return image.Pt(x, y), g, w, false
			}
		}
	}
	return image.Point{}, color.RGBA{}, color.RGBA{}, true
}

func assertSame(t testing.TB, got, want rgbaImage) {
	t.Helper()
	if p, g, w, ok := diff(got, want); !ok {
		t.Fatalf("framebuffer %v differs from %v: at %v got %v want %v", got.Bounds(), want.Bounds(), p, g, w)
	}
}
