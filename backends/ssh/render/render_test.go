package render

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"strings"
	"testing"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh/term"
)

// fakeSurface is an in-memory Surface that records what the renderer asks.
type fakeSurface struct {
	img    *rgb.Image
	damage []image.Rectangle
	copies [][2]image.Rectangle
	resize int
}

func (f *fakeSurface) Image() *rgb.Image        { return f.img }
func (f *fakeSurface) Damage(r image.Rectangle) { f.damage = append(f.damage, r) }
func (f *fakeSurface) Resize(w, h int) {
	f.img = rgb.New(image.Rect(0, 0, w, h))
	f.resize++
}

func (f *fakeSurface) CopyRect(src image.Rectangle, dst image.Point) {
	f.copies = append(f.copies, [2]image.Rectangle{src, src.Sub(src.Min).Add(dst)})
	tmp := rgb.New(src)
	for y := src.Min.Y; y < src.Max.Y; y++ {
		copy(tmp.Pix[tmp.PixOffset(src.Min.X, y):], f.img.Pix[f.img.PixOffset(src.Min.X, y):f.img.PixOffset(src.Max.X, y)])
	}
	for y := src.Min.Y; y < src.Max.Y; y++ {
		dy := y - src.Min.Y + dst.Y
		copy(f.img.Pix[f.img.PixOffset(dst.X, dy):], tmp.Pix[tmp.PixOffset(src.Min.X, y):tmp.PixOffset(src.Max.X, y)])
	}
}

func (f *fakeSurface) reset() { f.damage, f.copies = nil, nil }

func newRig(t testing.TB, cols, rows int) (*term.Terminal, *Renderer, *fakeSurface) {
	t.Helper()
	s := &fakeSurface{}
	r, err := New(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return term.New(cols, rows, term.Options{}), r, s
}

// cellRect is the pixel rectangle of a cell.
func cellRect(r *Renderer, x, y int) image.Rectangle {
	m := r.Margin()
	return image.Rect(m+x*r.cw, m+y*r.ch, m+(x+1)*r.cw, m+(y+1)*r.ch)
}

// ink counts pixels in rect that differ from bg.
func ink(img *rgb.Image, rect image.Rectangle, bg color.RGBA) int {
	n := 0
	for y := rect.Min.Y; y < rect.Max.Y; y++ {
		for x := rect.Min.X; x < rect.Max.X; x++ {
			if img.RGBAAt(x, y) != bg {
				n++
			}
		}
	}
	return n
}

func TestMetrics(t *testing.T) {
	_, r, _ := newRig(t, 1, 1)
	if w, h := r.CellSize(); w != 10 || h != 20 {
		t.Errorf("Go Mono 12pt/96dpi cell = %dx%d, want 10x20", w, h)
	}
	if r.Margin() != 7 {
		t.Errorf("margin = %d, want 7 (96×2/25.4)", r.Margin())
	}
	if c, rows := r.GridSize(1024, 768); c != 99 || rows != 37 {
		t.Errorf("GridSize(1024,768) = %d,%d, want 99,37", c, rows)
	}
	if c, rows := r.GridSize(10, 10); c != 1 || rows != 1 {
		t.Errorf("tiny GridSize = %d,%d", c, rows)
	}
	if err := r.SetFont(Options{FontSize: 24, DPI: 96}); err != nil {
		t.Fatal(err)
	}
	if w, h := r.CellSize(); w != 19 && w != 20 || h < 38 {
		t.Errorf("24pt cell = %dx%d", w, h)
	}
}

func TestRenderText(t *testing.T) {
	tm, r, s := newRig(t, 10, 3)
	tm.Write([]byte("Hi \x1b[41m \x1b[m\x1b[4m_\x1b[m"))
	r.Render(tm)
	sch := tm.Scheme()
	img := s.img
	if img.Rect != image.Rect(0, 0, 10*10+14, 3*20+14) {
		t.Fatalf("surface %v", img.Rect)
	}
	// The cursor is at column 5; hide it so cell 5 is plain.
	r.SetBlink(false)
	r.Render(tm)
	for x, want := range []bool{true, true, false} {
		if got := ink(img, cellRect(r, x, 0), sch.BG) > 0; got != want {
			t.Errorf("cell %d ink = %v, want %v", x, got, want)
		}
	}
	if n := ink(img, cellRect(r, 3, 0), sch.Palette[1]); n != 0 {
		t.Errorf("red background cell has %d other pixels", n)
	}
	if n := ink(img, image.Rect(0, 0, img.Rect.Dx(), r.Margin()), sch.BG); n != 0 {
		t.Errorf("top margin has %d non-background pixels", n)
	}
	if n := ink(img, cellRect(r, 7, 2), sch.BG); n != 0 {
		t.Errorf("blank cell has %d non-background pixels", n)
	}
	if n := ink(img, cellRect(r, 4, 0), sch.BG); n < r.cw {
		t.Errorf("underlined cell has only %d ink pixels", n)
	}
}

func TestCursorBlink(t *testing.T) {
	tm, r, s := newRig(t, 10, 3)
	tm.Write([]byte("ab"))
	r.Render(tm)
	cur := cellRect(r, 2, 0)
	if ink(s.img, cur, tm.Scheme().FG) != 0 {
		t.Fatal("cursor cell not drawn in the foreground colour")
	}
	s.reset()
	r.SetBlink(false)
	r.Render(tm)
	if len(s.damage) != 1 || s.damage[0] != cur {
		t.Errorf("blink damage %v, want only %v", s.damage, cur)
	}
	if ink(s.img, cur, tm.Scheme().BG) != 0 {
		t.Error("hidden cursor left pixels")
	}
	s.reset()
	r.Render(tm)
	if len(s.damage) != 0 {
		t.Errorf("idle render damaged %v", s.damage)
	}
}

func TestOneCellChange(t *testing.T) {
	tm, r, s := newRig(t, 20, 5)
	tm.Write([]byte("hello world\x1b[?25l"))
	r.Render(tm)
	s.reset()
	tm.Write([]byte("\x1b[1;2Ha"))
	r.Render(tm)
	if len(s.damage) != 1 || s.damage[0] != cellRect(r, 1, 0) {
		t.Errorf("damage %v, want just cell 1,0 %v", s.damage, cellRect(r, 1, 0))
	}
}

func TestScrollIsCopy(t *testing.T) {
	tm, r, s := newRig(t, 20, 5)
	for i := range 5 {
		fmt.Fprintf(tm, "line %d\r\n", i)
	}
	r.Render(tm)
	s.reset()
	tm.Write([]byte("line 5\r\n"))
	r.Render(tm)
	m := r.Margin()
	wantSrc := image.Rect(m, m+20, m+200, m+100)
	if len(s.copies) != 1 || s.copies[0][0] != wantSrc || s.copies[0][1].Min != image.Pt(m, m) {
		t.Fatalf("copies %v, want one from %v to %v", s.copies, wantSrc, image.Pt(m, m))
	}
	for _, d := range s.damage {
		if d.Min.Y < m+3*20 {
			t.Errorf("damage %v above the exposed rows: a scroll should not repaint", d)
		}
	}
	assertSameAsFresh(t, tm, r, s)
}

// assertSameAsFresh checks that incremental rendering produced exactly the
// pixels a full repaint gives.
func assertSameAsFresh(t *testing.T, tm *term.Terminal, r *Renderer, s *fakeSurface) {
	t.Helper()
	fs := &fakeSurface{}
	fr, err := New(fs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fr.blinkOff = r.blinkOff
	tm.DamageAll()
	fr.Render(tm)
	if !equalImages(fs.img, s.img) {
		t.Fatal("incremental frame differs from a full repaint")
	}
}

func equalImages(a, b *rgb.Image) bool {
	return a.Rect == b.Rect && string(a.Pix) == string(b.Pix)
}

// TestIncrementalMatchesFull drives a terminal through scrolls, regions,
// alternate screen, selection, history view and resizes, rendering after
// every step, and compares with a fresh full render each time.
func TestIncrementalMatchesFull(t *testing.T) {
	tm, r, s := newRig(t, 24, 8)
	steps := []func(){
		func() { tm.Write([]byte("\x1b[31mred\x1b[m and 中文 ┌─┐ é\u0301\r\n")) },
		func() {
			for i := range 12 {
				fmt.Fprintf(tm, "%d the quick brown fox\r\n", i)
			}
		},
		func() { tm.Write([]byte("\x1b[2;6r\x1b[6;1H\n\n\x1b[2;1H\x1bM\x1b[r")) },
		func() { tm.SelectStart(2, 1, term.SelectChar); tm.SelectExtend(5, 3) },
		func() { tm.ScrollView(4) },
		func() { tm.ScrollView(-2) },
		func() { tm.Write([]byte("\x1b[1;1Hzz\x1b[3;5r\x1b[5;1H\n\x1b[r")) }, // screen rows partly in view
		func() { tm.ResetView(); tm.ClearSelection() },
		func() { tm.Write([]byte("\x1b[?1049h\x1b[H\x1b[2J\x1b[7mstatus\x1b[m\x1b[5;5Hvim")) },
		func() { tm.Write([]byte("\x1b[?1049l\x1b[44m\x1b[2K\x1b[m")) },
		func() { tm.Resize(30, 6) },
		func() { tm.Write([]byte("\x1b[3;1H\x1b[2L\x1b[1;1H\x1b[3P\x1b[4@")) },
		func() { r.SetBlink(false) },
		func() { tm.SetScheme(mustScheme(t, "black-white")) },
	}
	for i, step := range steps {
		step()
		r.Render(tm)
		// Compare without disturbing the incremental renderer's state.
		snap := append([]uint8(nil), s.img.Pix...)
		assertSameAsFresh(t, tm, r, s)
		if string(snap) != string(s.img.Pix) {
			t.Fatalf("step %d: snapshot changed", i)
		}
		tm.ClearDamage()
	}
}

func mustScheme(t *testing.T, spec string) term.Scheme {
	s, err := term.ParseScheme(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSelectionHighlight(t *testing.T) {
	tm, r, s := newRig(t, 10, 2)
	tm.Write([]byte("\x1b[?25l"))
	tm.SelectStart(1, 0, term.SelectChar)
	tm.SelectExtend(2, 0)
	r.Render(tm)
	want := blend(tm.Scheme().BG, selectionColor)
	if got := s.img.RGBAAt(cellRect(r, 1, 0).Min.X, cellRect(r, 1, 0).Min.Y); got != want {
		t.Errorf("selected cell %v, want %v", got, want)
	}
	if got := s.img.RGBAAt(cellRect(r, 3, 0).Min.X, cellRect(r, 3, 0).Min.Y); got != tm.Scheme().BG {
		t.Errorf("unselected cell %v", got)
	}
}

func TestGlyphCache(t *testing.T) {
	tm, r, _ := newRig(t, 80, 24)
	for range 24 {
		tm.Write([]byte(strings.Repeat("abcd", 20)))
	}
	tm.Write([]byte("\x1b[?25l"))
	r.Render(tm)
	hits, misses := r.CacheStats()
	if misses != 4 || hits != 80*24-4 {
		t.Errorf("hits %d misses %d, want %d and 4", hits, misses, 80*24-4)
	}
}

func TestBoxDrawing(t *testing.T) {
	_, r, _ := newRig(t, 1, 1)
	w, h := r.CellSize()
	tests := []struct {
		r     rune
		check func(m *image.Alpha) bool
	}{
		{'─', func(m *image.Alpha) bool { return fullRow(m, h/2) && !fullRow(m, 0) }},
		{'│', func(m *image.Alpha) bool { return fullCol(m, w/2) && !fullCol(m, 0) }},
		{'┼', func(m *image.Alpha) bool { return fullRow(m, h/2) && fullCol(m, w/2) }},
		{'═', func(m *image.Alpha) bool { return !fullRow(m, h/2) && coverage(m) > 0 }},
		{'█', func(m *image.Alpha) bool { return coverage(m) == w*h }},
		{'▀', func(m *image.Alpha) bool { return coverage(m) == w*(h/2) && fullRow(m, 0) }},
		{'▐', func(m *image.Alpha) bool { return fullCol(m, w-1) && !fullCol(m, 0) }},
		{'▚', func(m *image.Alpha) bool { return m.AlphaAt(0, 0).A == 0xFF && m.AlphaAt(w-1, 0).A == 0 }},
	}
	for _, tc := range tests {
		m := r.glyph(glyphKey{r: tc.r}, w)
		if !tc.check(m) {
			t.Errorf("%c drawn wrong (coverage %d)", tc.r, coverage(m))
		}
	}
}

func fullRow(m *image.Alpha, y int) bool {
	for x := range m.Rect.Dx() {
		if m.AlphaAt(x, y).A != 0xFF {
			return false
		}
	}
	return true
}

func fullCol(m *image.Alpha, x int) bool {
	for y := range m.Rect.Dy() {
		if m.AlphaAt(x, y).A != 0xFF {
			return false
		}
	}
	return true
}

func coverage(m *image.Alpha) int {
	n := 0
	for _, a := range m.Pix {
		if a == 0xFF {
			n++
		}
	}
	return n
}

// TestFallbackFont needs DejaVu Sans Mono (Debian fonts-dejavu-core) for a
// glyph Go Mono lacks.
func TestFallbackFont(t *testing.T) {
	if _, err := os.Stat(fallbackFiles[0]); err != nil {
		t.Fatalf("%s missing: install the Debian package fonts-dejavu-core", fallbackFiles[0])
	}
	_, r, _ := newRig(t, 1, 1)
	if r.faces.faceFor('✓', styleRegular) == r.faces.main[styleRegular] {
		t.Fatal("✓ not taken from a fallback font")
	}
	m := r.glyph(glyphKey{r: '✓'}, r.cw)
	if coverage(m) == 0 {
		t.Error("✓ rendered without ink")
	}
}

func TestFontByName(t *testing.T) {
	if _, err := os.Stat(fallbackFiles[0]); err != nil {
		t.Fatalf("%s missing: install the Debian package fonts-dejavu-core", fallbackFiles[0])
	}
	fs, ok := findFamily("DejaVu Sans Mono")
	if !ok || fs[styleRegular] == nil {
		t.Fatal("DejaVu Sans Mono not found by family name")
	}
	if fs[styleBold] == fs[styleRegular] {
		t.Error("bold style not found")
	}
	if _, ok := findFamily("No Such Font"); ok {
		t.Error("found a font that does not exist")
	}
	s := &fakeSurface{}
	r, err := New(s, Options{FontName: "No Such Font"})
	if err != nil || r.cw != 10 {
		t.Errorf("unknown font did not fall back to Go Mono: %v %d", err, r.cw)
	}
}
