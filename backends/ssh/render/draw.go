package render

import (
	"encoding/binary"
	"image"
	"image/color"

	"github.com/goguacd/goguacd/backends/ssh/term"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// drawCell paints one cell (wide cells span two) from its look.
func (r *Renderer) drawCell(img *image.RGBA, x, y, wide int, l cellLook) {
	px, py := r.margin+x*r.cw, r.margin+y*r.ch
	w := wide * r.cw
	rect := image.Rect(px, py, px+w, py+r.ch)
	if l.r == 0 || l.r == ' ' && l.comb == "" {
		fillRect(img, rect, l.bg)
	} else {
		st := styleRegular
		if l.attr&term.AttrBold != 0 {
			st |= styleBold
		}
		if l.attr&term.AttrItalic != 0 {
			st |= styleItalic
		}
		mask := r.glyph(glyphKey{r: l.r, comb: l.comb, style: st, wide: wide == 2}, w)
		composite(img, rect.Min, mask, l.fg, l.bg)
	}
	thick := max(r.ch/16, 1)
	if l.attr&term.AttrUnderline != 0 {
		uy := min(py+r.ascent+max((r.ch-r.ascent)/3, 1), py+r.ch-thick)
		fillRect(img, image.Rect(px, uy, px+w, uy+thick), l.fg)
	}
	if l.attr&term.AttrStrike != 0 {
		sy := py + r.ascent*2/3
		fillRect(img, image.Rect(px, sy, px+w, sy+thick), l.fg)
	}
}

// glyph returns the cached mask for k, rasterising it on a miss. Masks
// are w×ch with the glyph's advance centred in the cell.
func (r *Renderer) glyph(k glyphKey, w int) *image.Alpha {
	if m, ok := r.glyphs[k]; ok {
		r.hits++
		return m
	}
	r.misses++
	m := image.NewAlpha(image.Rect(0, 0, w, r.ch))
	if k.comb != "" || !drawBox(m, k.r) {
		face := r.faces.faceFor(k.r, k.style)
		adv, ok := face.GlyphAdvance(k.r)
		if !ok {
			adv = fixed.I(w)
		}
		x0 := (fixed.I(w) - adv) / 2
		d := font.Drawer{Dst: m, Src: image.Opaque, Face: face, Dot: fixed.Point26_6{X: x0, Y: fixed.I(r.ascent)}}
		d.DrawString(string(k.r))
		for _, mark := range k.comb {
			// Marks have no advance of their own; draw them over the base.
			d.Face = r.faces.faceFor(mark, k.style)
			d.DrawString(string(mark))
		}
	}
	r.glyphs[k] = m
	return m
}

// composite paints mask at p, blending fg over bg by the mask's coverage.
// Written out by hand with one 32-bit store per pixel: draw.DrawMask would
// need two passes and an image.Uniform per colour.
func composite(img *image.RGBA, p image.Point, mask *image.Alpha, fg, bg color.RGBA) {
	b := mask.Rect.Add(p).Intersect(img.Rect)
	if b.Empty() {
		return
	}
	fg32, bg32 := pack(fg), pack(bg)
	fr, fgc, fb := int32(fg.R), int32(fg.G), int32(fg.B)
	br, bgc, bb := int32(bg.R), int32(bg.G), int32(bg.B)
	n := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		mo := (y-p.Y)*mask.Stride + (b.Min.X - p.X)
		mrow := mask.Pix[mo : mo+n]
		off := img.PixOffset(b.Min.X, y)
		dst := img.Pix[off : off+4*n]
		for x, a := range mrow {
			v := bg32
			switch a {
			case 0:
			case 0xFF:
				v = fg32
			default:
				ai := int32(a)
				v = uint32(br+((fr-br)*ai+127)/255) |
					uint32(bgc+((fgc-bgc)*ai+127)/255)<<8 |
					uint32(bb+((fb-bb)*ai+127)/255)<<16 | 0xFF<<24
			}
			binary.LittleEndian.PutUint32(dst[4*x:], v)
		}
	}
}

// pack returns c as the little-endian uint32 of its RGBA bytes.
func pack(c color.RGBA) uint32 {
	return uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16 | 0xFF<<24
}

// fillRect paints r (clipped) in c.
func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	off := img.PixOffset(r.Min.X, r.Min.Y)
	row := img.Pix[off : off+4*r.Dx()]
	row[0], row[1], row[2], row[3] = c.R, c.G, c.B, 0xFF
	for n := 4; n < len(row); n *= 2 {
		copy(row[n:], row[:n])
	}
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		copy(img.Pix[o:o+len(row)], row)
	}
}

// blend composites the translucent o over c.
func blend(c, o color.RGBA) color.RGBA {
	a := uint16(o.A)
	mix := func(x, y uint8) uint8 { return uint8((uint16(x)*(255-a) + uint16(y)*a + 127) / 255) }
	return color.RGBA{mix(c.R, o.R), mix(c.G, o.G), mix(c.B, o.B), 0xFF}
}
