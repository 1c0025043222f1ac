package display

import (
	"bytes"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// client is an engine paired with a reference canvas that applies all
// that the engine flushes.
type client struct {
	t      testing.TB
	e      *Engine
	c      displaytest.Canvas
	clk    *fakeClock
	buf    []byte
	frames int
}

func newClient(t testing.TB, w, h int, opts Options) *client {
	e := New(w, h, opts)
	clk := &fakeClock{t: time.Unix(1e9, 0), step: time.Second / 60}
	e.now = clk.now
	return &client{t: t, e: e, clk: clk}
}

func (c *client) flush() []byte {
	c.t.Helper()
	c.buf = c.e.Flush(c.buf[:0], 0)
	if err := c.c.Apply(c.buf); err != nil {
		c.t.Fatalf("frame %d: %v", c.frames, err)
	}
	c.frames++
	return c.buf
}

// check fails unless the canvas shows exactly the framebuffer.
func (c *client) check(what string) {
	c.t.Helper()
	if n := displaytest.DiffPixels(c.e.Image(), c.c.Image()); n != 0 {
		c.t.Fatalf("%s: %d pixels differ (fb %v, canvas %v)", what, n, c.e.Image().Rect, c.c.Image().Rect)
	}
}

// joinCheck fails unless a fresh canvas fed AppendState shows the screen.
func (c *client) joinCheck(what string) {
	c.t.Helper()
	var j displaytest.Canvas
	if err := j.Apply(c.e.AppendState(nil)); err != nil {
		c.t.Fatalf("%s: join: %v", what, err)
	}
	if n := displaytest.DiffPixels(c.e.Image(), j.Image()); n != 0 {
		c.t.Fatalf("%s: join: %d pixels differ", what, n)
	}
}

// randomOps applies n random producer operations driven by r.
func randomOps(c *client, r *rng, n int) {
	for range n {
		img := c.e.Image()
		w, h := img.Rect.Dx(), img.Rect.Dy()
		randRect := func() image.Rectangle {
			x0, y0 := int(r.next()%uint64(w+20))-10, int(r.next()%uint64(h+20))-10
			return image.Rect(x0, y0, x0+int(r.next()%uint64(w/2+1)), y0+int(r.next()%uint64(h/2+1)))
		}
		switch r.next() % 10 {
		case 0, 1, 2: // solid fill
			rr := randRect()
			fillRect(img, rr, [3]uint8{uint8(r.next()), uint8(r.next() % 3 * 100), 7})
			c.e.Damage(rr)
		case 3, 4: // noise
			rr := randRect().Intersect(img.Rect)
			for y := rr.Min.Y; y < rr.Max.Y; y++ {
				for x := rr.Min.X; x < rr.Max.X; x++ {
					v := r.next()
					setPix(img, x, y, [3]uint8{uint8(v), uint8(v >> 8), uint8(v >> 16)})
				}
			}
			c.e.Damage(rr)
		case 5: // text
			x, y := int(r.next()%uint64(w)), int(r.next()%uint64(h))
			if x+cellW <= w && y+cellH <= h {
				drawGlyph(img, x, y, r.next(), lineColors[r.next()%5], paper)
				c.e.Damage(image.Rect(x, y, x+cellW, y+cellH))
			}
		case 6, 7: // copy, possibly overlapping and partly off screen
			src := randRect()
			c.e.CopyRect(src, image.Pt(int(r.next()%uint64(w))-w/4, int(r.next()%uint64(h))-h/4))
		case 8: // scroll reported as damage
			dy := int(r.next()%40) - 20
			rr := image.Rect(0, 0, w, h)
			tmp := rgb.New(rr)
			copy(tmp.Pix, img.Pix)
			src := rr.Intersect(rr.Sub(image.Pt(0, dy)))
			tmp.Move(src, src.Min.Add(image.Pt(0, dy)))
			copy(img.Pix, tmp.Pix)
			c.e.Damage(rr)
		case 9:
			if r.next()%4 == 0 {
				c.e.Resize(int(r.next()%300)+1, int(r.next()%300)+1)
			} else {
				cur := image.NewRGBA(image.Rect(0, 0, 1+int(r.next()%32), 1+int(r.next()%32)))
				for i := range cur.Pix {
					cur.Pix[i] = uint8(r.next()) | 0x80
				}
				for i := 3; i < len(cur.Pix); i += 4 {
					cur.Pix[i] = 0xff
				}
				c.e.SetCursor(image.Pt(1, 2), cur)
			}
		}
	}
}

func TestRandomOperationsLossless(t *testing.T) {
	for seed := range 40 {
		r := rng(seed)
		w, h := 1+int(r.next()%400), 1+int(r.next()%300)
		c := newClient(t, w, h, Options{Lossless: true})
		c.flush()
		c.check("first frame")
		for frame := range 25 {
			randomOps(c, &r, 1+int(r.next()%5))
			c.flush()
			c.check("seed " + string(rune('0'+seed%10)) + " frame")
			if frame%5 == 0 {
				c.joinCheck("random")
			}
			if c.c.Ops["img"] > 0 && strings.Contains(string(c.buf), "image/jpeg") {
				t.Fatal("JPEG sent in lossless mode")
			}
		}
	}
}

// TestRandomOperationsLossy checks that whatever went out as JPEG or WebP
// is replaced by exact pixels once the screen has been still for
// RefreshDelay.
func TestRandomOperationsLossy(t *testing.T) {
	for _, webp := range []bool{false, true} {
		mime := map[bool]string{false: "image/jpeg", true: "image/webp"}[webp]
		t.Run(mime, func(t *testing.T) {
			lossy := 0
			for seed := range 20 {
				r := rng(seed + 1000)
				c := newClient(t, 200+int(r.next()%400), 200+int(r.next()%300), Options{WebP: webp})
				c.flush()
				for range 20 {
					randomOps(c, &r, 1+int(r.next()%5))
					c.flush()
					if bytes.Contains(c.buf, []byte(mime)) {
						lossy++
					}
				}
				c.clk.t = c.clk.t.Add(RefreshDelay)
				c.flush()
				c.check("after refresh")
				if c.e.Dirty() {
					t.Fatal("still dirty after the refresh")
				}
			}
			if lossy == 0 {
				t.Fatalf("no %s was sent: the test exercises nothing lossy", mime)
			}
		})
	}
}

// TestLossyRefreshesToExact checks that a photo-like area changing at 60
// fps goes out lossy, as JPEG or, where every user accepts it, WebP, and
// that the lossless refresh then makes the client exact.
func TestLossyRefreshesToExact(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		webp      bool // SetWebP(true) after the first frame
		mime, not string
	}{
		{"jpeg", Options{}, false, "image/jpeg", "image/webp"},
		{"webp option", Options{WebP: true}, false, "image/webp", "image/jpeg"},
		{"webp set", Options{}, true, "image/webp", "image/jpeg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, scrW, scrH, tt.opts)
			desktop(c.e.Image())
			c.e.Damage(c.e.Image().Rect)
			c.flush()
			c.e.SetWebP(tt.webp || tt.opts.WebP)
			lossy := 0
			for n := range 10 {
				drawVideo(c.e.Image(), n)
				c.e.Damage(videoRect)
				c.flush()
				if bytes.Contains(c.buf, []byte(tt.not)) {
					t.Fatalf("frame %d sent %s", n, tt.not)
				}
				if bytes.Contains(c.buf, []byte(tt.mime)) {
					lossy++
				}
			}
			if lossy == 0 || !bytes.Contains(c.buf, []byte(tt.mime)) {
				t.Fatalf("a 60 fps photo-like area was not sent as %s", tt.mime)
			}
			// Only the video area is lossy: measure it there. Both
			// encoders give about 37.7 dB at quality 90.
			if p := displaytest.PSNR(subRGBA(c.e.Image(), videoRect), subRGBA(c.c.Image(), videoRect)); p < 37 {
				t.Errorf("PSNR %.2f dB at quality 90, want >= 37", p)
			}
			if c.e.Dirty() {
				t.Fatal("dirty right after a flush")
			}
			c.clk.t = c.clk.t.Add(RefreshDelay)
			if !c.e.Dirty() {
				t.Fatal("lossy area not due for refresh after RefreshDelay")
			}
			c.flush()
			if !bytes.Contains(c.buf, []byte("image/png")) || bytes.Contains(c.buf, []byte(tt.mime)) {
				t.Fatalf("the refresh is not PNG only")
			}
			c.check("after lossless refresh")
			if c.e.Dirty() {
				t.Fatal("dirty after the refresh")
			}
		})
	}
}

func TestCopyComposesWithPendingDamage(t *testing.T) {
	c := newClient(t, 200, 150, Options{Lossless: true})
	c.flush()
	img := c.e.Image()
	// Draw, then move what was just drawn before any flush, then draw
	// over part of the source: the copy must carry the pending pixels.
	fillRect(img, image.Rect(10, 10, 60, 40), [3]uint8{200, 10, 10})
	c.e.Damage(image.Rect(10, 10, 60, 40))
	c.e.CopyRect(image.Rect(0, 0, 100, 80), image.Pt(90, 60))
	fillRect(img, image.Rect(20, 20, 30, 30), [3]uint8{1, 2, 3})
	c.e.Damage(image.Rect(20, 20, 30, 30))
	out := c.flush()
	c.check("copy after damage")
	if !bytes.Contains(out, []byte("4.copy,")) {
		t.Fatal("no copy instruction sent")
	}
}

func TestScrollBecomesCopy(t *testing.T) {
	tests := []struct {
		name   string
		damage bool // the producer reports the scroll as plain damage
	}{{"CopyRect", false}, {"damage", true}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, scrW, scrH, Options{Lossless: true})
			s := scenarios[1]
			s.setup(c.e.Image())
			c.e.Damage(c.e.Image().Rect)
			c.flush()
			for n := range 5 {
				if tt.damage {
					img := c.e.Image()
					img.Move(image.Rect(0, cellH, scrW, scrH), image.Pt(0, 0))
					drawTextLine(img, scrH-cellH, uint64(scrH/cellH+n))
					c.e.Damage(img.Rect)
				} else {
					s.frame(c.e, n)
				}
				out := c.flush()
				c.check(tt.name)
				if !bytes.Contains(out, []byte("4.copy,")) {
					t.Fatalf("frame %d: scroll not sent as copy", n)
				}
				if len(out) > 32<<10 {
					t.Fatalf("frame %d: %d bytes for a 16 px scroll, want <= 32 KiB", n, len(out))
				}
			}
		})
	}
}

func TestTypingFrameSize(t *testing.T) {
	e, _ := newScenarioEngine(scenarios[0], Options{Lossless: true})
	var buf []byte
	for n := range 50 {
		scenarios[0].frame(e, n)
		buf = e.Flush(buf[:0], 0)
		if len(buf) > 433 {
			t.Fatalf("frame %d: %d bytes, guacd sends 433", n, len(buf))
		}
	}
}

func TestFlushAllocations(t *testing.T) {
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e, _ := newScenarioEngine(s, Options{Lossless: true})
			buf := make([]byte, 0, 8<<20)
			n := 0
			for range 3 { // warm up scratch buffers
				s.frame(e, n)
				n++
				buf = e.Flush(buf[:0], 0)
			}
			allocs := testing.AllocsPerRun(5, func() {
				s.frame(e, n)
				n++
				buf = e.Flush(buf[:0], 0)
			})
			// Lossless flushes allocate nothing but the goroutines of
			// parallel encoding (one closure and goroutine per worker).
			if allocs > 4 {
				t.Fatalf("%.1f allocations per frame", allocs)
			}
		})
	}
}

func TestCursor(t *testing.T) {
	c := newClient(t, 64, 64, Options{})
	cur := image.NewRGBA(image.Rect(5, 5, 13, 21)) // not at the origin
	for i := 0; i < len(cur.Pix); i += 4 {
		if i%12 == 0 {
			cur.Pix[i], cur.Pix[i+3] = 0xff, 0xff
		}
	}
	c.e.SetCursor(image.Pt(3, 4), cur)
	c.flush()
	hot, got := c.c.Cursor()
	if hot != image.Pt(3, 4) || got == nil || got.Rect.Size() != cur.Rect.Size() {
		t.Fatalf("cursor %v %v", hot, got)
	}
	want := image.NewRGBA(image.Rect(0, 0, 8, 16))
	copy(want.Pix, cur.Pix)
	if !bytes.Equal(got.Pix, want.Pix) {
		t.Fatal("cursor pixels differ")
	}
	var j displaytest.Canvas
	if err := j.Apply(c.e.AppendState(nil)); err != nil {
		t.Fatal(err)
	}
	if _, jc := j.Cursor(); jc == nil || !bytes.Equal(jc.Pix, want.Pix) {
		t.Fatal("joiner did not get the cursor")
	}
	c.e.SetCursor(image.Point{}, nil)
	c.flush()
	if _, got := c.c.Cursor(); got == nil || got.Pix[3] != 0 {
		t.Fatal("hidden cursor is not transparent")
	}
}

func TestQuality(t *testing.T) {
	tests := []struct {
		opts Options
		lag  time.Duration
		want int
	}{
		{Options{}, 0, 90},
		{Options{}, 20 * time.Millisecond, 90},
		{Options{}, 50 * time.Millisecond, 60},
		{Options{}, time.Second, 30},
		{Options{JPEGQuality: 75}, time.Second, 75},
	}
	for _, tt := range tests {
		e := New(8, 8, tt.opts)
		if got := e.quality(tt.lag); got != tt.want {
			t.Errorf("quality(%v, %v) = %d, want %d", tt.opts, tt.lag, got, tt.want)
		}
	}
}

// FuzzEngine drives random operations from the fuzzer's bytes and checks
// that a lossless client always shows the framebuffer.
func FuzzEngine(f *testing.F) {
	f.Add(uint64(1), uint16(100), uint16(80), uint8(10))
	f.Add(uint64(7), uint16(1), uint16(1), uint8(3))
	f.Add(uint64(42), uint16(333), uint16(65), uint8(30))
	f.Fuzz(func(t *testing.T, seed uint64, w, h uint16, ops uint8) {
		r := rng(seed)
		c := newClient(t, 1+int(w%512), 1+int(h%512), Options{Lossless: true})
		c.flush()
		for range ops % 16 {
			randomOps(c, &r, 1+int(r.next()%4))
			c.flush()
			c.check("fuzz")
		}
		c.joinCheck("fuzz")
	})
}

// Layer 0 must never be drawn with SRC: browsers turn it into the canvas
// "copy" operation, which erases the rest of the screen.
func TestScreenDrawnWithOver(t *testing.T) {
	e := New(200, 100, Options{})
	img := e.Image()
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	e.Damage(img.Rect)
	out := e.Flush(nil, 0)
	e.CopyRect(image.Rect(0, 0, 50, 50), image.Pt(100, 50))
	for y := 0; y < 10; y++ {
		for x := 0; x < 10; x++ {
			img.Set(x, y, color.RGBA{9, 9, 9, 255})
		}
	}
	e.Damage(image.Rect(0, 0, 10, 10))
	out = e.Flush(out, 0)
	out = e.AppendState(out)
	var p protocol.Parser
	seen := 0
	for b := out; len(b) > 0; {
		ins, n, err := p.Next(b)
		if err != nil {
			t.Fatal(err)
		}
		b = b[n:]
		var mode, layer []byte
		switch {
		case ins.Is("img"):
			mode, layer = ins.Arg(1), ins.Arg(2)
		case ins.Is("cfill"):
			mode, layer = ins.Arg(0), ins.Arg(1)
		case ins.Is("copy"):
			mode, layer = ins.Arg(5), ins.Arg(6)
		default:
			continue
		}
		seen++
		if string(layer) == "0" && string(mode) != "14" {
			t.Fatalf("%s on layer 0 with mode %s, want 14 (OVER)", ins.Opcode, mode)
		}
	}
	if seen < 3 {
		t.Fatalf("only %d drawing instructions checked", seen)
	}
}
