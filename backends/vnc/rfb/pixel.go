package rfb

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"

	"github.com/goguacd/goguacd/backends/rgb"
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
// byte order is R,G,B,X, so ZRLE and Tight pixels (R,G,B) copy straight
// into the framebuffer.
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

// converter turns wire pixels of one of our formats into words with R in
// the low byte, G and B above and alpha 255 (the memory layout of an
// image.RGBA pixel), which putRGB stores in the framebuffer.
type converter struct {
	size  int  // bytes per PIXEL: 1, 2 or 4
	csize int  // bytes per ZRLE CPIXEL
	tsize int  // bytes per Tight TPIXEL
	fast  bool // 32 bpp R,G,B,X: pixels are words already
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

// putRGB writes the R, G and B bytes of word c to p.
func putRGB(p []byte, c uint32) {
	_ = p[2]
	p[0], p[1], p[2] = byte(c), byte(c>>8), byte(c>>16)
}

// fillRect paints r with the word c. r must lie inside fb.
func fillRect(fb *rgb.Image, r image.Rectangle, c uint32) {
	fb.Fill(r, color.RGBA{byte(c), byte(c >> 8), byte(c >> 16), 0xff})
}

// putRow converts n wire pixels of size bytes from src into dst, packed
// RGB.
func (cv *converter) putRow(dst, src []byte, n, size int) {
	switch {
	case cv.fast && size == 3:
		copy(dst[:n*3], src[:n*3])
	case cv.fast && size == 4:
		packRGBX(dst[:n*3], src[:n*4])
	case size == 2:
		// Specialised loops: a per-pixel size switch costs about a third.
		dst, src = dst[:n*3], src[:n*2]
		for i := 0; i < n; i++ {
			putRGB(dst[i*3:], cv.value(uint32(binary.LittleEndian.Uint16(src[i*2:]))))
		}
	case size == 1:
		dst, src = dst[:n*3], src[:n]
		for i, v := range src {
			putRGB(dst[i*3:], cv.value(uint32(v)))
		}
	default:
		for i := 0; i < n; i++ {
			putRGB(dst[i*3:], cv.pixel(src[i*size:]))
		}
	}
}

// packRGBXGo is packRGBX without SIMD: four pixels (16 bytes in, 12 out)
// per step in two word stores. A full-screen Raw update is a million
// pixels, and byte by byte the conversion costs more than reading them.
func packRGBXGo(dst, src []byte) {
	i, j := 0, 0
	for ; i+16 <= len(src) && j+12 <= len(dst); i, j = i+16, j+12 {
		a := binary.LittleEndian.Uint64(src[i:])
		b := binary.LittleEndian.Uint64(src[i+8:])
		binary.LittleEndian.PutUint64(dst[j:], a&0xffffff|a>>8&0xffffff000000|b<<48)
		binary.LittleEndian.PutUint32(dst[j+8:], uint32(b>>16&0xff|b>>24&0xffffff00))
	}
	for ; i+4 <= len(src) && j+3 <= len(dst); i, j = i+4, j+3 {
		dst[j], dst[j+1], dst[j+2] = src[i], src[i+1], src[i+2]
	}
}

// putRowRGBA converts n wire pixels of size bytes from src into dst as
// opaque RGBA, for cursors, which are the only images with alpha.
func (cv *converter) putRowRGBA(dst, src []byte, n, size int) {
	dst = dst[:n*4]
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint32(dst[i*4:], cv.pixel(src[i*size:]))
	}
}
