package rfbtest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
)

// Encoding is an RFB encoding number.
type Encoding int32

// Encodings the server can produce. Tight picks fill, palette, gradient,
// copy or JPEG per rectangle (see EncoderOptions).
const (
	Raw      Encoding = 0
	CopyRect Encoding = 1
	Hextile  Encoding = 5
	Tight    Encoding = 7
	ZRLE     Encoding = 16

	encCursor       = -239
	encDesktopSize  = -223
	encLastRect     = -224
	encExtendedSize = -308
	// SupportedMessages and its answer's body length.
	encSupportedMessages = -131071
	supportedMessagesLen = 64
	msgSetServerInput    = 9
)

// EncoderOptions tunes the Tight encoder.
type EncoderOptions struct {
	// JPEGQuality > 0 sends Tight rectangles of more than 256 colours as
	// JPEG at this quality.
	JPEGQuality int
	// Gradient sends many-colour Tight rectangles through the gradient
	// filter instead of the copy filter.
	Gradient bool
}

// Encoder encodes rectangles for one client connection. It keeps the
// persistent zlib streams of ZRLE and Tight, so one Encoder must serve
// exactly one client stream, in order.
type Encoder struct {
	pf   PixelFormat
	opts EncoderOptions

	zbuf bytes.Buffer
	zw   *zlib.Writer

	tbuf  [4]bytes.Buffer
	tw    [4]*zlib.Writer
	tuses [4]int

	tmp []byte
}

// NewEncoder returns an encoder producing pixels in pf.
func NewEncoder(pf PixelFormat, opts EncoderOptions) *Encoder {
	return &Encoder{pf: pf, opts: opts}
}

func appendRectHeader(dst []byte, r image.Rectangle, enc int32) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Min.X))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Min.Y))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Dx()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(r.Dy()))
	return binary.BigEndian.AppendUint32(dst, uint32(enc))
}

// AppendRect appends one rectangle (header and body) showing fb's pixels
// in r, encoded with enc (not CopyRect; see AppendCopyRect).
func (e *Encoder) AppendRect(dst []byte, fb *image.RGBA, r image.Rectangle, enc Encoding) []byte {
	dst = appendRectHeader(dst, r, int32(enc))
	switch enc {
	case Hextile:
		return e.hextile(dst, fb, r)
	case ZRLE:
		return e.zrle(dst, fb, r)
	case Tight:
		return e.tight(dst, fb, r)
	}
	return e.raw(dst, fb, r)
}

// AppendCopyRect appends a CopyRect rectangle copying from src to dst's r.
func AppendCopyRect(dst []byte, r image.Rectangle, src image.Point) []byte {
	dst = appendRectHeader(dst, r, int32(CopyRect))
	dst = binary.BigEndian.AppendUint16(dst, uint16(src.X))
	return binary.BigEndian.AppendUint16(dst, uint16(src.Y))
}

func (e *Encoder) raw(dst []byte, fb *image.RGBA, r image.Rectangle) []byte {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			dst = e.pf.appendPixel(dst, fb.RGBAAt(x, y))
		}
	}
	return dst
}

// hextile encodes 16×16 tiles: solid tiles as a background, two-colour
// tiles as foreground subrects, few-colour tiles as coloured subrects,
// and the rest raw. Background and foreground are only re-sent when they
// change, to exercise the decoder's carry-over.
func (e *Encoder) hextile(dst []byte, fb *image.RGBA, r image.Rectangle) []byte {
	var prevBG, prevFG color.RGBA
	validBG, validFG := false, false
	bpp := int(e.pf.BPP / 8)
	for ty := r.Min.Y; ty < r.Max.Y; ty += 16 {
		for tx := r.Min.X; tx < r.Max.X; tx += 16 {
			t := image.Rect(tx, ty, min(tx+16, r.Max.X), min(ty+16, r.Max.Y))
			bg, colours := dominant(fb, t)
			type sub struct {
				c          color.RGBA
				x, y, w, h int
			}
			var subs []sub
			var fg color.RGBA
			for y := t.Min.Y; y < t.Max.Y; y++ {
				for x := t.Min.X; x < t.Max.X; {
					c := fb.RGBAAt(x, y)
					if c == bg {
						x++
						continue
					}
					x0 := x
					for x < t.Max.X && fb.RGBAAt(x, y) == c {
						x++
					}
					fg = c
					subs = append(subs, sub{c, x0 - tx, y - ty, x - x0, 1})
				}
			}
			coloured := colours > 2
			each := 2
			if coloured {
				each += bpp
			}
			size := 2 + 2*bpp + len(subs)*each
			if len(subs) > 255 || size > t.Dx()*t.Dy()*bpp {
				dst = append(dst, 1)
				dst = e.raw(dst, fb, t)
				validBG, validFG = false, false
				continue
			}
			flags := byte(0)
			if !validBG || bg != prevBG {
				flags |= 2
			}
			if len(subs) > 0 {
				flags |= 8
				if coloured {
					flags |= 16
				} else if !validFG || fg != prevFG {
					flags |= 4
				}
			}
			dst = append(dst, flags)
			if flags&2 != 0 {
				dst = e.pf.appendPixel(dst, bg)
				prevBG, validBG = bg, true
			}
			if flags&4 != 0 {
				dst = e.pf.appendPixel(dst, fg)
				prevFG, validFG = fg, true
			}
			if flags&8 != 0 {
				dst = append(dst, byte(len(subs)))
				for _, s := range subs {
					if coloured {
						dst = e.pf.appendPixel(dst, s.c)
					}
					dst = append(dst, byte(s.x<<4|s.y), byte((s.w-1)<<4|(s.h-1)))
				}
			}
		}
	}
	return dst
}

// dominant returns the most frequent colour in r and the number of
// distinct colours (counting stops at 3).
func dominant(fb *image.RGBA, r image.Rectangle) (color.RGBA, int) {
	var cols [3]color.RGBA
	var counts [3]int
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := fb.RGBAAt(x, y)
			i := 0
			for i < n && cols[i] != c {
				i++
			}
			if i == n {
				if n == 3 {
					continue
				}
				cols[n] = c
				n++
			}
			counts[i]++
		}
	}
	best := 0
	for i := 1; i < n; i++ {
		if counts[i] > counts[best] {
			best = i
		}
	}
	return cols[best], n
}

// palette collects up to limit distinct colours of r in first-seen order;
// ok is false when there are more.
func palette(fb *image.RGBA, r image.Rectangle, limit int) (pal []color.RGBA, index map[color.RGBA]int, ok bool) {
	index = map[color.RGBA]int{}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := fb.RGBAAt(x, y)
			if _, seen := index[c]; !seen {
				if len(pal) == limit {
					return nil, nil, false
				}
				index[c] = len(pal)
				pal = append(pal, c)
			}
		}
	}
	return pal, index, true
}

// zrle encodes 64×64 tiles into the connection's zlib stream, choosing per
// tile the smallest of solid, packed palette, palette RLE, plain RLE, raw.
func (e *Encoder) zrle(dst []byte, fb *image.RGBA, r image.Rectangle) []byte {
	if e.zw == nil {
		e.zw = zlib.NewWriter(&e.zbuf)
	}
	for ty := r.Min.Y; ty < r.Max.Y; ty += 64 {
		for tx := r.Min.X; tx < r.Max.X; tx += 64 {
			t := image.Rect(tx, ty, min(tx+64, r.Max.X), min(ty+64, r.Max.Y))
			e.zw.Write(e.zrleTile(fb, t))
		}
	}
	e.zw.Flush()
	dst = binary.BigEndian.AppendUint32(dst, uint32(e.zbuf.Len()))
	dst = append(dst, e.zbuf.Bytes()...)
	e.zbuf.Reset()
	return dst
}

func (e *Encoder) zrleTile(fb *image.RGBA, t image.Rectangle) []byte {
	pf := e.pf
	pal, index, ok := palette(fb, t, 127)
	if ok && len(pal) == 1 {
		return pf.appendCPixel([]byte{1}, pal[0])
	}
	// Runs in raster order across the whole tile.
	type run struct {
		c color.RGBA
		n int
	}
	var runs []run
	for y := t.Min.Y; y < t.Max.Y; y++ {
		for x := t.Min.X; x < t.Max.X; x++ {
			c := fb.RGBAAt(x, y)
			if len(runs) > 0 && runs[len(runs)-1].c == c {
				runs[len(runs)-1].n++
			} else {
				runs = append(runs, run{c, 1})
			}
		}
	}
	appendLen := func(b []byte, n int) []byte {
		n--
		for n >= 255 {
			b = append(b, 255)
			n -= 255
		}
		return append(b, byte(n))
	}
	var best []byte
	consider := func(b []byte) {
		if best == nil || len(b) < len(best) {
			best = b
		}
	}
	raw := []byte{0}
	for y := t.Min.Y; y < t.Max.Y; y++ {
		for x := t.Min.X; x < t.Max.X; x++ {
			raw = pf.appendCPixel(raw, fb.RGBAAt(x, y))
		}
	}
	consider(raw)
	plain := []byte{128}
	for _, rn := range runs {
		plain = appendLen(pf.appendCPixel(plain, rn.c), rn.n)
	}
	consider(plain)
	if ok {
		head := []byte{byte(128 + len(pal))}
		for _, c := range pal {
			head = pf.appendCPixel(head, c)
		}
		prle := append([]byte(nil), head...)
		for _, rn := range runs {
			if rn.n == 1 {
				prle = append(prle, byte(index[rn.c]))
			} else {
				prle = appendLen(append(prle, byte(index[rn.c])|0x80), rn.n)
			}
		}
		consider(prle)
		if len(pal) <= 16 {
			packed := []byte{byte(len(pal))}
			for _, c := range pal {
				packed = pf.appendCPixel(packed, c)
			}
			bits := 4
			switch {
			case len(pal) == 2:
				bits = 1
			case len(pal) <= 4:
				bits = 2
			}
			for y := t.Min.Y; y < t.Max.Y; y++ {
				var cur byte
				nb := 0
				for x := t.Min.X; x < t.Max.X; x++ {
					cur = cur<<bits | byte(index[fb.RGBAAt(x, y)])
					nb += bits
					if nb == 8 {
						packed = append(packed, cur)
						cur, nb = 0, 0
					}
				}
				if nb > 0 {
					packed = append(packed, cur<<(8-nb))
				}
			}
			consider(packed)
		}
	}
	return best
}

// tight encodes one Tight rectangle: fill for one colour, palette for up
// to 256, else JPEG, gradient or copy per EncoderOptions. Every third use
// of a zlib stream resets it, to exercise the decoder's reset bits.
func (e *Encoder) tight(dst []byte, fb *image.RGBA, r image.Rectangle) []byte {
	pf := e.pf
	pal, index, ok := palette(fb, r, 256)
	if ok && len(pal) == 1 {
		return pf.appendTPixel(append(dst, 0x80), pal[0])
	}
	if !ok && e.opts.JPEGQuality > 0 {
		var buf bytes.Buffer
		jpeg.Encode(&buf, fb.SubImage(r), &jpeg.Options{Quality: e.opts.JPEGQuality})
		dst = appendCompact(append(dst, 0x90), buf.Len())
		return append(dst, buf.Bytes()...)
	}
	w := r.Dx()
	data := e.tmp[:0]
	var stream int
	var head []byte
	switch {
	case ok:
		stream = 1
		head = []byte{1, byte(len(pal) - 1)}
		for _, c := range pal {
			head = pf.appendTPixel(head, c)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if len(pal) == 2 {
				var cur byte
				for x := 0; x < w; x++ {
					cur = cur<<1 | byte(index[fb.RGBAAt(r.Min.X+x, y)])
					if x%8 == 7 {
						data = append(data, cur)
						cur = 0
					}
				}
				if w%8 != 0 {
					data = append(data, cur<<(8-w%8))
				}
				continue
			}
			for x := r.Min.X; x < r.Max.X; x++ {
				data = append(data, byte(index[fb.RGBAAt(x, y)]))
			}
		}
	case e.opts.Gradient:
		stream = 2
		head = []byte{2}
		data = e.gradient(data, fb, r)
	default:
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				data = pf.appendTPixel(data, fb.RGBAAt(x, y))
			}
		}
	}
	e.tmp = data
	ctl := byte(stream << 4)
	if head != nil {
		ctl |= 0x40
	}
	if len(data) >= 12 {
		e.tuses[stream]++
		if e.tuses[stream]%3 == 0 && e.tw[stream] != nil {
			ctl |= 1 << stream
			e.tw[stream] = nil
		}
	}
	dst = append(append(dst, ctl), head...)
	if len(data) < 12 {
		return append(dst, data...)
	}
	if e.tw[stream] == nil {
		e.tbuf[stream].Reset()
		e.tw[stream] = zlib.NewWriter(&e.tbuf[stream])
	}
	e.tw[stream].Write(data)
	e.tw[stream].Flush()
	dst = appendCompact(dst, e.tbuf[stream].Len())
	dst = append(dst, e.tbuf[stream].Bytes()...)
	e.tbuf[stream].Reset()
	return dst
}

// gradient applies Tight's gradient filter: each component is sent as the
// difference from left + above - above-left, clamped.
func (e *Encoder) gradient(dst []byte, fb *image.RGBA, r image.Rectangle) []byte {
	pf := e.pf
	maxs := [3]int{int(pf.RedMax), int(pf.GreenMax), int(pf.BlueMax)}
	comp := func(x, y int) [3]int {
		if x < r.Min.X || y < r.Min.Y {
			return [3]int{}
		}
		cr, cg, cb := pf.components(fb.RGBAAt(x, y))
		return [3]int{int(cr), int(cg), int(cb)}
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c, left, up, ul := comp(x, y), comp(x-1, y), comp(x, y-1), comp(x-1, y-1)
			var d [3]uint32
			for k := 0; k < 3; k++ {
				p := min(max(left[k]+up[k]-ul[k], 0), maxs[k])
				d[k] = uint32((c[k] - p) & maxs[k])
			}
			if pf.tpixel3() {
				dst = append(dst, byte(d[0]), byte(d[1]), byte(d[2]))
			} else {
				dst = pf.appendValue(dst, d[0]<<pf.RedShift|d[1]<<pf.GreenShift|d[2]<<pf.BlueShift)
			}
		}
	}
	return dst
}

// appendCompact appends Tight's 1–3 byte compact length.
func appendCompact(dst []byte, n int) []byte {
	b := byte(n & 0x7f)
	if n < 0x80 {
		return append(dst, b)
	}
	dst = append(dst, b|0x80)
	b = byte(n >> 7 & 0x7f)
	if n < 0x4000 {
		return append(dst, b)
	}
	return append(dst, b|0x80, byte(n>>14))
}
