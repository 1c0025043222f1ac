package display

import (
	"image"
	"time"

	"github.com/goguacd/goguacd/backends/rgb"
)

// The benchmark scenarios of anchors.md at 1280x800, each frame a pure
// function of the frame number:
//   - typing: one 8x16 character cell changes per frame;
//   - scroll: a page of coloured text lines scrolls up 16 px per frame,
//     delivered as CopyRect plus a 16 px strip;
//   - video: a 640x360 photo-like area (gradients + noise) changes
//     completely every frame;
//   - scroll-damage: the same scroll reported as whole-screen damage, as a
//     producer without CopyRect (or a terminal redrawing) would;
//   - full: the whole screen shows a new page of coloured text every frame.
const (
	scrW, scrH = 1280, 800
	cellW      = 8
	cellH      = 16
)

var videoRect = image.Rect(320, 220, 960, 580)

// rng is a small deterministic generator (splitmix64).
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9E3779B97F4A7C15
	z := uint64(*r)
	z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
	z = (z ^ z>>27) * 0x94D049BB133111EB
	return z ^ z>>31
}

func setPix(img *rgb.Image, x, y int, c [3]uint8) {
	o := img.PixOffset(x, y)
	img.Pix[o], img.Pix[o+1], img.Pix[o+2] = c[0], c[1], c[2]
}

func fillRect(img *rgb.Image, r image.Rectangle, c [3]uint8) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			setPix(img, x, y, c)
		}
	}
}

// drawGlyph draws a pseudo-glyph (a 6x11 bit pattern chosen by seed) in a
// cell at x, y: text-like pixels without a font.
func drawGlyph(img *rgb.Image, x, y int, seed uint64, fg, bg [3]uint8) {
	fillRect(img, image.Rect(x, y, x+cellW, y+cellH), bg)
	if seed%7 == 0 {
		return // a space
	}
	r := rng(seed)
	for gy := 0; gy < 11; gy++ {
		bits := r.next()
		for gx := 0; gx < 6; gx++ {
			if bits>>gx&1 == 1 {
				setPix(img, x+1+gx, y+3+gy, fg)
			}
		}
	}
}

var lineColors = [][3]uint8{{30, 30, 30}, {180, 20, 20}, {20, 120, 20}, {20, 40, 170}, {140, 90, 0}}

var (
	paper = [3]uint8{250, 250, 245}
	desk  = [3]uint8{40, 70, 110}
)

// drawTextLine draws text line number n (any integer) at y.
func drawTextLine(img *rgb.Image, y int, n uint64) {
	fg := lineColors[n%uint64(len(lineColors))]
	for cx := 0; cx < scrW/cellW; cx++ {
		drawGlyph(img, cx*cellW, y, n*1000003+uint64(cx), fg, paper)
	}
}

// desktop draws the idle screen: a background, a white window and some text.
func desktop(img *rgb.Image) {
	fillRect(img, img.Rect, desk)
	fillRect(img, image.Rect(100, 80, 1180, 720), paper)
	for line := 0; line < 18; line++ {
		for cx := 0; cx < 80; cx++ {
			drawGlyph(img, 120+cx*cellW, 100+line*cellH*2, uint64(line*80+cx), lineColors[0], paper)
		}
	}
}

// scenario drives an Engine through one of the anchors.md scenarios.
type scenario struct {
	name  string
	setup func(img *rgb.Image)
	frame func(e *Engine, n int)
}

var scenarios = []scenario{
	{"typing", desktop, func(e *Engine, n int) {
		x := 120 + (n%80)*cellW
		y := 100 + cellH + (n/80%15)*cellH*2
		drawGlyph(e.Image(), x, y, uint64(n)+1, lineColors[0], paper)
		e.Damage(image.Rect(x, y, x+cellW, y+cellH))
	}},
	{"scroll", func(img *rgb.Image) {
		for l := 0; l < scrH/cellH; l++ {
			drawTextLine(img, l*cellH, uint64(l))
		}
	}, func(e *Engine, n int) {
		e.CopyRect(image.Rect(0, cellH, scrW, scrH), image.Pt(0, 0))
		drawTextLine(e.Image(), scrH-cellH, uint64(scrH/cellH+n))
		e.Damage(image.Rect(0, scrH-cellH, scrW, scrH))
	}},
	{"scroll-damage", func(img *rgb.Image) {
		for l := 0; l < scrH/cellH; l++ {
			drawTextLine(img, l*cellH, uint64(l))
		}
	}, func(e *Engine, n int) {
		// The same scroll, reported as plain damage of the whole screen.
		img := e.Image()
		img.Move(image.Rect(0, cellH, scrW, scrH), image.Pt(0, 0))
		drawTextLine(img, scrH-cellH, uint64(scrH/cellH+n))
		e.Damage(img.Rect)
	}},
	{"video", desktop, func(e *Engine, n int) {
		drawVideo(e.Image(), n)
		e.Damage(videoRect)
	}},
	{"full", desktop, func(e *Engine, n int) {
		img := e.Image()
		for l := 0; l < scrH/cellH; l++ {
			drawTextLine(img, l*cellH, uint64(n+1)<<20+uint64(l))
		}
		e.Damage(img.Rect)
	}},
}

// drawVideo draws frame n of the photo-like area: moving smooth colour
// gradients plus luminance noise of +-8.
func drawVideo(img *rgb.Image, n int) {
	r := rng(n)
	for y := videoRect.Min.Y; y < videoRect.Max.Y; y++ {
		o := img.PixOffset(videoRect.Min.X, y)
		row := img.Pix[o : o+3*videoRect.Dx()]
		var noise uint64
		for i := 0; i < len(row); i += 3 {
			if i%36 == 0 {
				noise = r.next()
			}
			d := int(noise%17) - 8
			noise /= 17
			x := videoRect.Min.X + i/3
			base := [3]int{tri((x + 3*n) / 3), tri((y + 2*n) / 2), tri((x + y + n) / 5)}
			for c := 0; c < 3; c++ {
				row[i+c] = uint8(min(max(base[c]+d, 0), 255))
			}
		}
	}
}

// tri is a triangle wave between 0 and 255: a gradient without edges.
func tri(v int) int {
	v %= 510
	if v > 255 {
		return 510 - v
	}
	return v
}

// fakeClock advances by a fixed step on every call, so frame rates seen by
// the engine do not depend on how fast the test runs.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

// newScenarioEngine returns an engine with the scenario's first screen
// already flushed, and a clock ticking at 60 fps.
func newScenarioEngine(s scenario, opts Options) (*Engine, *fakeClock) {
	e := New(scrW, scrH, opts)
	clk := &fakeClock{t: time.Unix(1e9, 0), step: time.Second / 60}
	e.now = clk.now
	s.setup(e.Image())
	e.Damage(e.Image().Rect)
	e.Flush(nil, 0)
	return e, clk
}
