package render

import (
	"fmt"
	"image"
	"testing"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh/term"
)

// nullSurface accepts everything and copies nothing, so benchmarks time
// the renderer alone.
type nullSurface struct{ img *rgb.Image }

func (n *nullSurface) Image() *rgb.Image                     { return n.img }
func (n *nullSurface) Damage(image.Rectangle)                {}
func (n *nullSurface) CopyRect(image.Rectangle, image.Point) {}
func (n *nullSurface) Resize(w, h int)                       { n.img = rgb.New(image.Rect(0, 0, w, h)) }

func fillScreen(tm *term.Terminal) {
	for y := range tm.Rows() {
		fmt.Fprintf(tm, "\x1b[%d;1H\x1b[3%dm", y+1, y%8)
		for x := 0; x < tm.Cols(); x++ {
			tm.Write([]byte{byte('!' + (x*7+y)%90)})
		}
	}
}

func benchFull(b *testing.B, cols, rows int) {
	tm := term.New(cols, rows, term.Options{})
	fillScreen(tm)
	r, err := New(&nullSurface{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r.Render(tm) // warm the glyph cache
	b.SetBytes(int64(cols * rows * r.cw * r.ch * 4))
	b.ReportAllocs()
	for b.Loop() {
		r.Invalidate()
		tm.DamageAll()
		r.Render(tm)
	}
}

func BenchmarkRenderFull80x24(b *testing.B)  { benchFull(b, 80, 24) }
func BenchmarkRenderFull160x50(b *testing.B) { benchFull(b, 160, 50) }

// BenchmarkRenderLine redraws one changed line, like typing at a prompt.
func BenchmarkRenderLine(b *testing.B) {
	tm := term.New(80, 24, term.Options{})
	fillScreen(tm)
	r, err := New(&nullSurface{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r.Render(tm)
	lines := [2][]byte{[]byte("\x1b[12;1Hthe quick brown fox jumps\x1b[K"), []byte("\x1b[12;1HTHE QUICK BROWN FOX JUMPS\x1b[K")}
	b.SetBytes(int64(80 * r.cw * r.ch * 4))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		tm.Write(lines[i&1])
		i++
		r.Render(tm)
	}
}

// BenchmarkRenderScroll is one line of `cat` output: a copy plus one row.
func BenchmarkRenderScroll(b *testing.B) {
	tm := term.New(80, 24, term.Options{})
	fillScreen(tm)
	r, err := New(&nullSurface{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	r.Render(tm)
	line := []byte("\r\n0000000 the quick brown fox jumps over the lazy dog")
	b.ReportAllocs()
	for b.Loop() {
		tm.Write(line)
		r.Render(tm)
	}
}

func TestRenderSteadyStateAllocs(t *testing.T) {
	tm := term.New(80, 24, term.Options{})
	fillScreen(tm)
	r, err := New(&nullSurface{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Render(tm)
	lines := [2][]byte{[]byte("\r\nabc def"), []byte("\x1b[5;5Hxyz")}
	i := 0
	if n := testing.AllocsPerRun(200, func() {
		tm.Write(lines[i&1])
		i++
		r.Render(tm)
	}); n != 0 {
		t.Errorf("steady-state Write+Render allocates %.1f times", n)
	}
}
