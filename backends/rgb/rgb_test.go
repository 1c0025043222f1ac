package rgb

import (
	"image"
	"image/color"
	"image/draw"
	"testing"
)

// reference is the obvious per-pixel model of an Image.
type reference map[image.Point]color.RGBA

func (ref reference) check(t *testing.T, m *Image) {
	t.Helper()
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			want := ref[image.Pt(x, y)]
			want.A = 0xff
			if got := m.RGBAAt(x, y); got != want {
				t.Fatalf("pixel %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}
}

func TestFillAndCopy(t *testing.T) {
	r := image.Rect(2, 3, 23, 17) // not at the origin, odd sizes
	m := New(r)
	if len(m.Pix) != 3*21*14 || m.Stride != 63 {
		t.Fatalf("New: %d bytes, stride %d", len(m.Pix), m.Stride)
	}
	ref := reference{}
	fills := []struct {
		r image.Rectangle
		c color.RGBA
	}{
		{image.Rect(0, 0, 100, 100), color.RGBA{1, 2, 3, 255}},
		{image.Rect(5, 5, 6, 6), color.RGBA{9, 8, 7, 255}},     // one pixel
		{image.Rect(4, 10, 23, 11), color.RGBA{200, 0, 1, 0}},  // a row to the right edge
		{image.Rect(20, 0, 30, 40), color.RGBA{5, 6, 7, 255}},  // clipped
		{image.Rect(50, 50, 60, 60), color.RGBA{1, 1, 1, 255}}, // outside
	}
	for _, f := range fills {
		m.Fill(f.r, f.c)
		for p := range ref.points(f.r.Intersect(r)) {
			ref[p] = f.c
		}
		ref.check(t, m)
	}
	dst := New(image.Rect(0, 0, 12, 12))
	dst.Fill(dst.Rect, color.RGBA{0xaa, 0xbb, 0xcc, 255})
	dst.Copy(m, image.Rect(0, 0, 8, 8))
	dref := reference{}
	for p := range dref.points(dst.Rect) {
		dref[p] = color.RGBA{0xaa, 0xbb, 0xcc, 255}
		if p.In(image.Rect(2, 3, 8, 8)) {
			dref[p] = ref[p]
		}
	}
	dref.check(t, dst)
}

// points yields the points of r.
func (reference) points(r image.Rectangle) func(func(image.Point) bool) {
	return func(yield func(image.Point) bool) {
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if !yield(image.Pt(x, y)) {
					return
				}
			}
		}
	}
}

func TestConversions(t *testing.T) {
	src := image.NewRGBA(image.Rect(1, 1, 6, 4))
	for i := range src.Pix {
		src.Pix[i] = byte(i * 37)
	}
	m := From(src)
	for y := 1; y < 4; y++ {
		for x := 1; x < 6; x++ {
			want := src.RGBAAt(x, y)
			want.A = 0xff
			if got := m.RGBAAt(x, y); got != want {
				t.Fatalf("From: %d,%d = %v, want %v", x, y, got, want)
			}
			if got := m.RGBA().RGBAAt(x, y); got != want {
				t.Fatalf("RGBA: %d,%d = %v, want %v", x, y, got, want)
			}
		}
	}
	// Through image/draw and the generic image.Image path.
	n := New(src.Rect)
	draw.Draw(n, n.Rect, src, src.Rect.Min, draw.Src)
	if g := From(image.Image(n)); string(g.Pix) != string(m.Pix) {
		t.Fatal("draw.Draw into an Image differs from From")
	}
	if (m.RGBAAt(0, 0) != color.RGBA{}) {
		t.Fatal("RGBAAt outside Rect is not zero")
	}
	m.Set(100, 100, color.White) // outside: ignored, no panic
}

// TestMove checks overlapping and disjoint moves in every direction
// against a per-pixel model.
func TestMove(t *testing.T) {
	for _, tc := range []struct {
		r   image.Rectangle
		dst image.Point
	}{
		{image.Rect(1, 1, 9, 7), image.Pt(3, 4)},   // down right, overlapping
		{image.Rect(3, 4, 11, 10), image.Pt(1, 1)}, // up left, overlapping
		{image.Rect(0, 2, 12, 9), image.Pt(0, 0)},  // a scroll up
		{image.Rect(0, 0, 12, 7), image.Pt(0, 3)},  // a scroll down
		{image.Rect(2, 3, 6, 5), image.Pt(7, 0)},   // disjoint, same rows
		{image.Rect(2, 3, 2, 5), image.Pt(7, 0)},   // empty
	} {
		m := New(image.Rect(0, 0, 12, 10))
		ref := reference{}
		for p := range ref.points(m.Rect) {
			c := color.RGBA{byte(p.X * 20), byte(p.Y * 25), byte(p.X ^ p.Y), 255}
			m.Set(p.X, p.Y, c)
			ref[p] = c
		}
		moved := reference{}
		for p := range ref.points(tc.r) {
			moved[p.Sub(tc.r.Min).Add(tc.dst)] = ref[p]
		}
		for p, c := range moved {
			ref[p] = c
		}
		m.Move(tc.r, tc.dst)
		ref.check(t, m)
	}
}
