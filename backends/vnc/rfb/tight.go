package rfb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
)

// Tight compression-control values (high nibble) and filters.
const (
	tightFill      = 0x8
	tightJPEG      = 0x9
	tightMaxBasic  = 0x7
	tightExplicit  = 0x4 // basic: a filter id byte follows
	filterCopy     = 0
	filterPalette  = 1
	filterGradient = 2
	tightMinZlib   = 12 // shorter data is sent uncompressed
	maxTightWidth  = 2048
)

// tightRect decodes a Tight rectangle.
func (c *Client) tightRect(r image.Rectangle) error {
	ctl, err := c.br.ReadByte()
	if err != nil {
		return fmt.Errorf("rfb: read Tight control: %w", err)
	}
	for i := range c.tight {
		if ctl&(1<<i) != 0 {
			c.tight[i].reset()
		}
	}
	kind := ctl >> 4
	ts := c.cv.tsize
	switch {
	case kind == tightFill:
		px, err := c.next(ts)
		if err != nil {
			return fmt.Errorf("rfb: read Tight fill: %w", err)
		}
		fillRect(c.fb, r, c.cv.tpixel(px))
		return nil
	case kind == tightJPEG:
		return c.tightJPEG(r)
	case kind > tightMaxBasic:
		return protoErr("Tight compression type %#x", kind)
	}
	if r.Dx() > maxTightWidth {
		return protoErr("Tight rectangle %d wide", r.Dx())
	}
	stream := int(kind & 3)
	filter := byte(filterCopy)
	if kind&tightExplicit != 0 {
		if filter, err = c.br.ReadByte(); err != nil {
			return fmt.Errorf("rfb: read Tight filter: %w", err)
		}
	}
	w, h := r.Dx(), r.Dy()
	var palette [256]uint32
	colors := 0
	rowBytes := w * ts
	switch filter {
	case filterCopy, filterGradient:
	case filterPalette:
		n, err := c.br.ReadByte()
		if err != nil {
			return fmt.Errorf("rfb: read Tight palette: %w", err)
		}
		colors = int(n) + 1
		pb := c.buf(colors * ts)
		if _, err := io.ReadFull(c.br, pb); err != nil {
			return fmt.Errorf("rfb: read Tight palette: %w", err)
		}
		for i := 0; i < colors; i++ {
			palette[i] = c.cv.tpixel(pb[i*ts:])
		}
		rowBytes = w
		if colors == 2 {
			rowBytes = (w + 7) / 8
		}
	default:
		return protoErr("Tight filter %d", filter)
	}
	data, err := c.tightData(stream, rowBytes*h)
	if err != nil {
		return err
	}
	switch filter {
	case filterCopy:
		for y := 0; y < h; y++ {
			off := c.fb.PixOffset(r.Min.X, r.Min.Y+y)
			c.tightRow(c.fb.Pix[off:], data[y*rowBytes:], w)
		}
	case filterPalette:
		for y := 0; y < h; y++ {
			row := data[y*rowBytes:]
			off := c.fb.PixOffset(r.Min.X, r.Min.Y+y)
			dst := c.fb.Pix[off : off+w*3]
			for x := 0; x < w; x++ {
				var idx int
				if colors == 2 {
					idx = int(row[x/8]>>(7-x%8)) & 1
				} else {
					idx = int(row[x])
				}
				if idx >= colors {
					return protoErr("Tight palette index %d of %d", idx, colors)
				}
				putRGB(dst[x*3:], palette[idx])
			}
		}
	case filterGradient:
		c.tightGradient(r, data)
	}
	return nil
}

// tightRow writes w TPIXELs to dst.
func (c *Client) tightRow(dst, src []byte, w int) {
	if c.cv.tsize == 3 && !c.cv.swapT {
		c.cv.putRow(dst, src, w, 3)
		return
	}
	ts := c.cv.tsize
	for x := 0; x < w; x++ {
		putRGB(dst[x*3:], c.cv.tpixel(src[x*ts:]))
	}
}

// tightData reads n bytes of filtered data: raw when short, otherwise a
// compact length and a chunk of zlib stream `stream`.
func (c *Client) tightData(stream, n int) ([]byte, error) {
	if n < tightMinZlib {
		b := c.buf(n)
		if _, err := io.ReadFull(c.br, b); err != nil {
			return nil, fmt.Errorf("rfb: read Tight data: %w", err)
		}
		return b, nil
	}
	l, err := c.compactLength()
	if err != nil {
		return nil, err
	}
	// zlib never expands by more than a fraction of a percent.
	if l > n+n/8+1024 {
		return nil, protoErr("Tight zlib data of %d bytes for %d", l, n)
	}
	if cap(c.tightIn) < l {
		c.tightIn = make([]byte, l)
	}
	in := c.tightIn[:l]
	if _, err := io.ReadFull(c.br, in); err != nil {
		return nil, fmt.Errorf("rfb: read Tight data: %w", err)
	}
	out, err := c.tight[stream].inflate(in, n)
	if err != nil {
		return nil, fmt.Errorf("rfb: Tight stream %d: %w", stream, err)
	}
	if len(out) < n {
		return nil, protoErr("Tight data inflates to %d bytes, want %d", len(out), n)
	}
	return out[:n], nil
}

// compactLength reads Tight's 1–3 byte little-endian base-128 length.
func (c *Client) compactLength() (int, error) {
	l := 0
	for i := 0; i < 3; i++ {
		b, err := c.br.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("rfb: read Tight length: %w", err)
		}
		if i == 2 {
			return l | int(b)<<14, nil
		}
		l |= int(b&0x7f) << (7 * i)
		if b&0x80 == 0 {
			break
		}
	}
	return l, nil
}

// tightGradient undoes the gradient filter: each component was sent as the
// difference from left + above - above-left, clamped to the component
// range, modulo the range.
func (c *Client) tightGradient(r image.Rectangle, data []byte) {
	w := r.Dx()
	ts := c.cv.tsize
	// Components of the previous and current rows (3 per pixel). Not
	// c.buf: data may live there when it was sent uncompressed.
	if cap(c.grad) < 6*(w+1) {
		c.grad = make([]byte, 6*(w+1))
	}
	prev := c.grad[:6*(w+1)]
	clear(prev)
	cur := prev[3*(w+1):]
	prev = prev[:3*(w+1)]
	var maxs [3]int
	if ts == 3 {
		maxs = [3]int{255, 255, 255}
	} else {
		maxs = [3]int{int(c.cv.rmax), int(c.cv.gmax), int(c.cv.bmax)}
	}
	for y := 0; y < r.Dy(); y++ {
		off := c.fb.PixOffset(r.Min.X, r.Min.Y+y)
		dst := c.fb.Pix[off : off+w*3]
		cur[0], cur[1], cur[2] = 0, 0, 0
		for x := 0; x < w; x++ {
			var d [3]int
			if ts == 3 {
				s := data[(y*w+x)*3:]
				d = [3]int{int(s[0]), int(s[1]), int(s[2])}
			} else {
				v := c.rawValue(data[(y*w+x)*ts:])
				d = [3]int{int(v >> c.cv.rshift), int(v >> c.cv.gshift), int(v >> c.cv.bshift)}
			}
			var comp [3]int
			for k := 0; k < 3; k++ {
				// cur[k] holds the left pixel; prev holds the row above,
				// shifted by one so prev[k] is above-left.
				p := int(cur[3*x+k]) + int(prev[3*(x+1)+k]) - int(prev[3*x+k])
				p = min(max(p, 0), maxs[k])
				comp[k] = (p + d[k]) & maxs[k]
				cur[3*(x+1)+k] = byte(comp[k])
			}
			var word uint32
			if ts == 3 {
				word = rgbWord(uint8(comp[0]), uint8(comp[1]), uint8(comp[2]), c.cv.swapT)
			} else {
				word = c.cv.value(uint32(comp[0])<<c.cv.rshift | uint32(comp[1])<<c.cv.gshift | uint32(comp[2])<<c.cv.bshift)
			}
			putRGB(dst[x*3:], word)
		}
		prev, cur = cur, prev
	}
}

// rawValue reads a pixel value (not converted) of the wire size.
func (c *Client) rawValue(b []byte) uint32 {
	switch c.cv.size {
	case 4:
		return binary.LittleEndian.Uint32(b)
	case 2:
		return uint32(binary.LittleEndian.Uint16(b))
	}
	return uint32(b[0])
}

// tightJPEG decodes a JPEG-compressed Tight rectangle.
func (c *Client) tightJPEG(r image.Rectangle) error {
	l, err := c.compactLength()
	if err != nil {
		return err
	}
	// The compact length caps l at 4 MiB, so this buffer is bounded.
	in := c.buf(l)
	if _, err := io.ReadFull(c.br, in); err != nil {
		return fmt.Errorf("rfb: read Tight JPEG: %w", err)
	}
	// Check the size before decoding: the header alone could otherwise
	// make the decoder allocate gigabytes.
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(in))
	if err != nil {
		return protoErr("Tight JPEG: %v", err)
	}
	if cfg.Width != r.Dx() || cfg.Height != r.Dy() {
		return protoErr("Tight JPEG is %dx%d for %v", cfg.Width, cfg.Height, r)
	}
	img, err := jpeg.Decode(bytes.NewReader(in))
	if err != nil {
		return protoErr("Tight JPEG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() != r.Dx() || b.Dy() != r.Dy() {
		return protoErr("Tight JPEG is %dx%d for %v", b.Dx(), b.Dy(), r)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < b.Dy(); y++ {
			off := c.fb.PixOffset(r.Min.X, r.Min.Y+y)
			dst := c.fb.Pix[off : off+r.Dx()*3]
			for x := 0; x < b.Dx(); x++ {
				yi := m.YOffset(b.Min.X+x, b.Min.Y+y)
				ci := m.COffset(b.Min.X+x, b.Min.Y+y)
				cr, cg, cb := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				putRGB(dst[x*3:], rgbWord(cr, cg, cb, c.cv.swapT))
			}
		}
	case *image.Gray:
		for y := 0; y < b.Dy(); y++ {
			off := c.fb.PixOffset(r.Min.X, r.Min.Y+y)
			dst := c.fb.Pix[off : off+r.Dx()*3]
			row := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):]
			for x := 0; x < b.Dx(); x++ {
				putRGB(dst[x*3:], rgbWord(row[x], row[x], row[x], false))
			}
		}
	default:
		for y := 0; y < b.Dy(); y++ {
			for x := 0; x < b.Dx(); x++ {
				cr, cg, cb, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				off := c.fb.PixOffset(r.Min.X+x, r.Min.Y+y)
				putRGB(c.fb.Pix[off:], rgbWord(uint8(cr>>8), uint8(cg>>8), uint8(cb>>8), c.cv.swapT))
			}
		}
	}
	return nil
}
