package rfb

import (
	"encoding/binary"
	"fmt"
	"image"
)

// pixelFormat is the RFB PIXEL_FORMAT structure.
type pixelFormat struct {
	bpp, depth             uint8
	bigEndian, trueColour  bool
	rmax, gmax, bmax       uint16
	rshift, gshift, bshift uint8
}

// marshal writes the 16-byte wire form into b.
func (pf pixelFormat) marshal(b []byte) {
	b[0], b[1] = pf.bpp, pf.depth
	b[2], b[3] = boolByte(pf.bigEndian), boolByte(pf.trueColour)
	binary.BigEndian.PutUint16(b[4:], pf.rmax)
	binary.BigEndian.PutUint16(b[6:], pf.gmax)
	binary.BigEndian.PutUint16(b[8:], pf.bmax)
	b[10], b[11], b[12] = pf.rshift, pf.gshift, pf.bshift
	b[13], b[14], b[15] = 0, 0, 0
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// swapRB exchanges the red and blue fields: asking the server for the
// swapped format while decoding with the plain one swaps the channels of
// everything shown at no per-pixel cost.
func (pf pixelFormat) swapRB() pixelFormat {
	pf.rmax, pf.bmax = pf.bmax, pf.rmax
	pf.rshift, pf.bshift = pf.bshift, pf.rshift
	return pf
}

// formatForDepth returns the little-endian true-colour format decoded for
// guacd's color-depth. 24 and 32 share one 32 bpp format whose in-memory
// byte order is R,G,B,X, so Raw rows copy straight into image.RGBA.
func formatForDepth(depth int) (pixelFormat, error) {
	switch depth {
	case 0, 24, 32:
		return pixelFormat{bpp: 32, depth: 24, trueColour: true, rmax: 255, gmax: 255, bmax: 255, rshift: 0, gshift: 8, bshift: 16}, nil
	case 16:
		return pixelFormat{bpp: 16, depth: 16, trueColour: true, rmax: 31, gmax: 63, bmax: 31, rshift: 11, gshift: 5, bshift: 0}, nil
	case 8:
		return pixelFormat{bpp: 8, depth: 8, trueColour: true, rmax: 7, gmax: 7, bmax: 3, rshift: 0, gshift: 3, bshift: 6}, nil
	}
	return pixelFormat{}, fmt.Errorf("rfb: unsupported color depth %d", depth)
}

// converter turns wire pixels of one of our formats into packed RGBA
// words (R in the low byte, alpha 255), the memory layout of image.RGBA.
type converter struct {
	size  int  // bytes per PIXEL: 1, 2 or 4
	csize int  // bytes per ZRLE CPIXEL
	tsize int  // bytes per Tight TPIXEL
	fast  bool // 32 bpp R,G,B,X: pixels are RGBA words already
	swapT bool // Tight TPIXELs and JPEG are true RGB and must be swapped by hand

	rshift, gshift, bshift uint8
	rmax, gmax, bmax       uint32
	rt, gt, bt             [256]uint8 // component value → 8 bits
}

func newConverter(pf pixelFormat, swap bool) *converter {
	cv := &converter{
		size: int(pf.bpp) / 8, swapT: swap,
		rshift: pf.rshift, gshift: pf.gshift, bshift: pf.bshift,
		rmax: uint32(pf.rmax), gmax: uint32(pf.gmax), bmax: uint32(pf.bmax),
	}
	cv.csize, cv.tsize = cv.size, cv.size
	if pf.bpp == 32 {
		cv.fast = true
		cv.csize, cv.tsize = 3, 3
	}
	scale := func(t *[256]uint8, max uint32) {
		for v := uint32(0); v <= max && v < 256; v++ {
			t[v] = uint8((v*255 + max/2) / max)
		}
	}
	scale(&cv.rt, cv.rmax)
	scale(&cv.gt, cv.gmax)
	scale(&cv.bt, cv.bmax)
	return cv
}

const alpha = 0xff000000

// value converts a pixel value to an RGBA word.
func (cv *converter) value(v uint32) uint32 {
	if cv.fast {
		return v | alpha
	}
	r := cv.rt[(v>>cv.rshift)&cv.rmax]
	g := cv.gt[(v>>cv.gshift)&cv.gmax]
	b := cv.bt[(v>>cv.bshift)&cv.bmax]
	return uint32(r) | uint32(g)<<8 | uint32(b)<<16 | alpha
}

// pixel decodes one PIXEL from b (len(b) >= cv.size).
func (cv *converter) pixel(b []byte) uint32 {
	switch cv.size {
	case 4:
		return binary.LittleEndian.Uint32(b) | alpha
	case 2:
		return cv.value(uint32(binary.LittleEndian.Uint16(b)))
	}
	return cv.value(uint32(b[0]))
}

// cpixel decodes one ZRLE CPIXEL.
func (cv *converter) cpixel(b []byte) uint32 {
	if cv.csize == 3 {
		return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | alpha
	}
	return cv.pixel(b)
}

// tpixel decodes one Tight TPIXEL.
func (cv *converter) tpixel(b []byte) uint32 {
	if cv.tsize == 3 {
		return rgbWord(b[0], b[1], b[2], cv.swapT)
	}
	return cv.pixel(b)
}

func rgbWord(r, g, b uint8, swap bool) uint32 {
	if swap {
		r, b = b, r
	}
	return uint32(r) | uint32(g)<<8 | uint32(b)<<16 | alpha
}

// fillRect paints r with the RGBA word c. r must lie inside fb.
func fillRect(fb *image.RGBA, r image.Rectangle, c uint32) {
	w := r.Dx() * 4
	if w == 0 {
		return
	}
	off := fb.PixOffset(r.Min.X, r.Min.Y)
	row := fb.Pix[off : off+w]
	for i := 0; i < w; i += 4 {
		binary.LittleEndian.PutUint32(row[i:], c)
	}
	for y := 1; y < r.Dy(); y++ {
		off += fb.Stride
		copy(fb.Pix[off:off+w], row)
	}
}

// putRow converts n wire pixels of size bytes from src into dst (RGBA),
// using decode for each pixel unless they are already RGBX words.
func (cv *converter) putRow(dst, src []byte, n, size int) {
	switch {
	case cv.fast && size == 4:
		copy(dst[:n*4], src[:n*4])
		for i := 3; i < n*4; i += 4 {
			dst[i] = 0xff
		}
	case cv.fast && size == 3:
		for i := 0; i < n; i++ {
			d, s := dst[i*4:i*4+4], src[i*3:i*3+3]
			d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 0xff
		}
	case size == 2:
		// Specialised loops: a per-pixel size switch costs about a third.
		dst, src = dst[:n*4], src[:n*2]
		for i := 0; i < n; i++ {
			v := uint32(binary.LittleEndian.Uint16(src[i*2:]))
			binary.LittleEndian.PutUint32(dst[i*4:], cv.value(v))
		}
	case size == 1:
		dst, src = dst[:n*4], src[:n]
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[i*4:], cv.value(uint32(v)))
		}
	default:
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint32(dst[i*4:], cv.pixel(src[i*size:]))
		}
	}
}
