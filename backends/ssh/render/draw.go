package render

import (
	"image"
	"image/color"

	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"

	"github.com/goguacd/goguacd/backends/rgb"
	"github.com/goguacd/goguacd/backends/ssh/term"
)

// drawCell paints one cell (wide cells span two) from its look.
func (r *Renderer) drawCell(img *rgb.Image, x, y, wide int, l cellLook) {
	px, py := r.margin+x*r.cw, r.margin+y*r.ch
	w := wide * r.cw
	rect := image.Rect(px, py, px+w, py+r.ch)
	if l.r == 0 || l.r == ' ' && l.comb == "" {
		img.Fill(rect, l.bg)
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
		img.Fill(image.Rect(px, uy, px+w, uy+thick), l.fg)
	}
	if l.attr&term.AttrStrike != 0 {
		sy := py + r.ascent*2/3
		img.Fill(image.Rect(px, sy, px+w, sy+thick), l.fg)
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
// Written out by hand: draw.DrawMask would need two passes and an
// image.Uniform per colour.
func composite(img *rgb.Image, p image.Point, mask *image.Alpha, fg, bg color.RGBA) {
	b := mask.Rect.Add(p).Intersect(img.Rect)
	if b.Empty() {
		return
	}
	fr, fgc, fb := int32(fg.R), int32(fg.G), int32(fg.B)
	br, bgc, bb := int32(bg.R), int32(bg.G), int32(bg.B)
	n := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		mo := (y-p.Y)*mask.Stride + (b.Min.X - p.X)
		mrow := mask.Pix[mo : mo+n]
		off := img.PixOffset(b.Min.X, y)
		dst := img.Pix[off : off+3*n]
		for x, a := range mrow {
			d := dst[3*x : 3*x+3]
			switch a {
			case 0:
				d[0], d[1], d[2] = bg.R, bg.G, bg.B
			case 0xFF:
				d[0], d[1], d[2] = fg.R, fg.G, fg.B
			default:
				ai := int32(a)
				d[0] = uint8(br + ((fr-br)*ai+127)/255)
				d[1] = uint8(bgc + ((fgc-bgc)*ai+127)/255)
				d[2] = uint8(bb + ((fb-bb)*ai+127)/255)
			}
		}
	}
}

// blend composites the translucent o over c.
func blend(c, o color.RGBA) color.RGBA {
	a := uint16(o.A)
	mix := func(x, y uint8) uint8 { return uint8((uint16(x)*(255-a) + uint16(y)*a + 127) / 255) }
	return color.RGBA{mix(c.R, o.R), mix(c.G, o.G), mix(c.B, o.B), 0xFF}
}
