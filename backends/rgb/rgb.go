// Package rgb is the framebuffer type that pixel producers (the RFB
// client, the terminal renderer) draw into and the display engine encodes
// from: packed 8-bit red, green and blue, three bytes per pixel.
//
// A remote screen is opaque, so image.RGBA's fourth byte would always be
// 255: a quarter of the biggest allocation of every connection (4 MB of a
// 1280x800 RGBA desktop) for nothing.
package rgb

import (
	"image"
	"image/color"
)

// Image is an opaque image: Pix holds the pixels of Rect row by row,
// Stride bytes apart, each pixel its R, G and B bytes.
type Image struct {
	Pix    []byte
	Stride int
	Rect   image.Rectangle
}

// New returns a black image of r, its pixels in the heap.
func New(r image.Rectangle) *Image {
	return &Image{Pix: make([]byte, 3*r.Dx()*r.Dy()), Stride: 3 * r.Dx(), Rect: r}
}

// PixOffset is the index in Pix of the pixel at (x, y).
func (m *Image) PixOffset(x, y int) int {
	return (y-m.Rect.Min.Y)*m.Stride + (x-m.Rect.Min.X)*3
}

// Bounds implements image.Image.
func (m *Image) Bounds() image.Rectangle { return m.Rect }

// ColorModel implements image.Image.
func (m *Image) ColorModel() color.Model { return color.RGBAModel }

// Opaque reports that every pixel is opaque, as image/draw and image/png
// ask.
func (m *Image) Opaque() bool { return true }

// At implements image.Image.
func (m *Image) At(x, y int) color.Color { return m.RGBAAt(x, y) }

// RGBAAt returns the colour at (x, y), opaque; zero outside Rect.
func (m *Image) RGBAAt(x, y int) color.RGBA {
	if !(image.Point{x, y}.In(m.Rect)) {
		return color.RGBA{}
	}
	p := m.Pix[m.PixOffset(x, y):]
	return color.RGBA{p[0], p[1], p[2], 0xff}
}

// Set implements draw.Image; alpha is dropped, as a screen has none.
func (m *Image) Set(x, y int, c color.Color) {
	if !(image.Point{x, y}.In(m.Rect)) {
		return
	}
	r, g, b, _ := c.RGBA()
	p := m.Pix[m.PixOffset(x, y):]
	p[0], p[1], p[2] = uint8(r>>8), uint8(g>>8), uint8(b>>8)
}

// Fill paints r (clipped to the image) with c.
func (m *Image) Fill(r image.Rectangle, c color.RGBA) {
	r = r.Intersect(m.Rect)
	if r.Empty() {
		return
	}
	n := 3 * r.Dx()
	off := m.PixOffset(r.Min.X, r.Min.Y)
	row := m.Pix[off : off+n]
	row[0], row[1], row[2] = c.R, c.G, c.B
	// Doubling copies fill the row in log steps.
	for i := 3; i < n; i *= 2 {
		copy(row[i:], row[:i])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		off += m.Stride
		copy(m.Pix[off:off+n], row)
	}
}

// Copy copies src onto m with their origins aligned, for the pixels both
// cover.
func (m *Image) Copy(src *Image, r image.Rectangle) {
	r = r.Intersect(m.Rect).Intersect(src.Rect)
	if r.Empty() {
		return
	}
	n := 3 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		s, t := src.PixOffset(r.Min.X, y), m.PixOffset(r.Min.X, y)
		copy(m.Pix[t:t+n], src.Pix[s:s+n])
	}
}

// Move copies the pixels of r, which must lie within m, so that r's
// top-left corner lands on dst (also within m), as RFB's CopyRect and
// Guacamole's copy do: overlapping rows are read before they are
// overwritten.
func (m *Image) Move(r image.Rectangle, dst image.Point) {
	n, h := 3*r.Dx(), r.Dy()
	if n <= 0 || h <= 0 {
		return
	}
	row := func(y int) {
		s, t := m.PixOffset(r.Min.X, r.Min.Y+y), m.PixOffset(dst.X, dst.Y+y)
		copy(m.Pix[t:t+n], m.Pix[s:s+n]) // copy handles overlap within a row
	}
	if dst.Y > r.Min.Y {
		for y := h - 1; y >= 0; y-- {
			row(y)
		}
		return
	}
	for y := range h {
		row(y)
	}
}

// From returns a copy of any image as an Image, dropping alpha; for tests
// and for producers that draw with image/draw.
func From(src image.Image) *Image {
	b := src.Bounds()
	m := New(b)
	if s, ok := src.(*image.RGBA); ok {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, y):]
			dst := m.Pix[m.PixOffset(b.Min.X, y):]
			for x := range b.Dx() {
				dst[3*x], dst[3*x+1], dst[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		}
		return m
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			m.Set(x, y, src.At(x, y))
		}
	}
	return m
}

// RGBA returns a copy of m as an opaque image.RGBA.
func (m *Image) RGBA() *image.RGBA {
	out := image.NewRGBA(m.Rect)
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		src := m.Pix[m.PixOffset(m.Rect.Min.X, y):]
		dst := out.Pix[out.PixOffset(m.Rect.Min.X, y):]
		for x := range m.Rect.Dx() {
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = src[3*x], src[3*x+1], src[3*x+2], 0xff
		}
	}
	return out
}
