package display

import (
	"encoding/binary"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"image"

	"github.com/klauspost/compress/zlib"

	"github.com/goguacd/goguacd/backends/rgb"
)

// pngSignature starts every PNG file.
var pngSignature = [8]byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}

// PNG colour types used here.
const (
	pngIndexed = 3
	pngRGB     = 2
	pngRGBA    = 6
)

// PNG row filter types used here.
const (
	filterNone = 0
	filterUp   = 2
)

// maxPalette is the most colours an indexed PNG can hold.
const maxPalette = 256

// paletteSlots sizes the open-addressing colour table; a power of two at
// least 4x maxPalette keeps probe chains short.
const paletteSlots = 1024

// pngEncoder writes PNG images with a fixed filter and a reusable deflate
// state. image/png picks a filter per row by trying all five, which costs
// more than the compression itself; a fixed filter is several times faster
// for a few percent more bytes on screen content.
type pngEncoder struct {
	out   appendWriter
	zw    *zlib.Writer // nil at BestSpeed, where df compresses
	df    deflater     // BestSpeed: small state, see deflater
	adler hash.Hash32  // the zlib checksum when df compresses
	level int

	rows   []byte // filtered scanlines waiting for the compressor
	index  []byte // palette index of each pixel, row-major
	keys   [paletteSlots]uint32
	vals   [paletteSlots]uint8
	colors [maxPalette]uint32
}

// appendWriter is an io.Writer that appends to a byte slice, so the
// compressor writes straight into the output buffer.
type appendWriter struct{ b []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func newPNGEncoder(level int) *pngEncoder {
	if level < zlib.BestSpeed || level > zlib.BestCompression {
		level = zlib.BestSpeed
	}
	e := &pngEncoder{level: level}
	if level == zlib.BestSpeed {
		e.adler = adler32.New()
		return e
	}
	// NewWriterLevel only fails on an invalid level, excluded above.
	e.zw, _ = zlib.NewWriterLevel(&e.out, level)
	return e
}

// encode appends the PNG encoding of r within img to dst: indexed when it
// has at most 256 colours, else RGB.
func (e *pngEncoder) encode(dst []byte, img *rgb.Image, r image.Rectangle) []byte {
	n := e.palettize(img, r)
	return e.write(dst, img.Pix[img.PixOffset(r.Min.X, r.Min.Y):], img.Stride, r.Dx(), r.Dy(), n, 3)
}

// encodeRGBA appends the PNG encoding of img, with its alpha (straight,
// not premultiplied), to dst.
func (e *pngEncoder) encodeRGBA(dst []byte, img *image.RGBA) []byte {
	return e.write(dst, img.Pix, img.Stride, img.Rect.Dx(), img.Rect.Dy(), 0, 4)
}

// write appends a PNG of the w x h pixels at pix (rows stride bytes
// apart, bpp bytes per pixel: RGB or RGBA), indexed with the n colours of
// e.colors and e.index when n is not 0.
func (e *pngEncoder) write(dst, pix []byte, stride, w, h, n, bpp int) []byte {
	e.out.b = append(dst, pngSignature[:]...)
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	depth := 8
	switch {
	case n > 0:
		depth = paletteDepth(n)
		ihdr[9] = pngIndexed
	case bpp == 4:
		ihdr[9] = pngRGBA
	default:
		ihdr[9] = pngRGB
	}
	ihdr[8] = byte(depth)
	e.chunk("IHDR", ihdr[:])
	if n > 0 {
		start := e.beginChunk("PLTE")
		for _, c := range e.colors[:n] {
			e.out.b = append(e.out.b, byte(c), byte(c>>8), byte(c>>16))
		}
		e.endChunk(start)
	}
	start := e.beginChunk("IDAT")
	if e.zw != nil {
		e.zw.Reset(&e.out)
	} else {
		e.adler.Reset()
		e.out.b = append(e.out.b, 0x78, 0x01) // zlib header: deflate, 32K window, fastest
		e.df.reset(e.out.b)
	}
	if n > 0 {
		e.writeIndexed(w, h, depth)
	} else {
		e.writeDirect(pix, stride, w, h, bpp)
	}
	// Writes go to an appendWriter, which never fails.
	if e.zw != nil {
		_ = e.zw.Close()
	} else {
		e.out.b = e.df.close()
		e.out.b = binary.BigEndian.AppendUint32(e.out.b, e.adler.Sum32())
	}
	e.endChunk(start)
	e.chunk("IEND", nil)
	dst = e.out.b
	e.out.b = nil
	return dst
}

// paletteDepth is the smallest PNG bit depth that holds n colours.
func paletteDepth(n int) int {
	switch {
	case n <= 2:
		return 1
	case n <= 4:
		return 2
	case n <= 16:
		return 4
	}
	return 8
}

// palettize records the palette index of every pixel in r and returns the
// number of colours, or 0 when there are more than maxPalette. Screen
// content (text, UI) is usually a handful of colours, and an indexed image
// is a third of the bytes for the compressor to chew through.
func (e *pngEncoder) palettize(img *rgb.Image, r image.Rectangle) int {
	w, h := r.Dx(), r.Dy()
	if cap(e.index) < w*h {
		e.index = make([]byte, w*h)
	}
	idx := e.index[:w*h]
	clear(e.keys[:])
	n := 0
	// Text alternates between two colours, so remember the last two
	// before going to the hash table.
	last, other := uint32(1<<31), uint32(1<<31) // no RGB key has bit 31 set
	var lastIdx, otherIdx uint8
	o := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):]
		row = row[:3*w]
		out := idx[o : o+w]
		o += w
		for x := range out {
			p := row[3*x : 3*x+3]
			c := uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
			if c != last && c != other { // rare: predictable
				i, ok := e.lookup(c, n)
				if !ok {
					return 0
				}
				if int(i) == n {
					n++
				}
				other, otherIdx = last, lastIdx
				last, lastIdx = c, i
			}
			// Which of the two is unpredictable in text: select
			// without a branch.
			v := lastIdx
			if c == other {
				v = otherIdx
			}
			out[x] = v
		}
	}
	return n
}

// lookup returns the palette index of colour c (R in the low byte), adding
// it as index n if new; ok is false when the palette is full.
func (e *pngEncoder) lookup(c uint32, n int) (i uint8, ok bool) {
	for slot := (c * 0x9E3779B1) >> 22; ; slot = (slot + 1) & (paletteSlots - 1) {
		switch k := e.keys[slot]; k {
		case c | 1<<24:
			return e.vals[slot], true
		case 0:
			if n == maxPalette {
				return 0, false
			}
			e.keys[slot] = c | 1<<24
			e.vals[slot] = uint8(n)
			e.colors[n] = c
			return uint8(n), true
		}
	}
}

// fewColors reports whether a sample of the rows of r holds at most
// maxPalette colours: a cheap guess that r suits an indexed PNG.
func (e *pngEncoder) fewColors(img *rgb.Image, r image.Rectangle) bool {
	clear(e.keys[:])
	n := 0
	last := uint32(1 << 31) // no RGB key has bit 31 set
	for y := r.Min.Y; y < r.Max.Y; y += sampleRows {
		row := img.Pix[img.PixOffset(r.Min.X, y):]
		row = row[:3*r.Dx()]
		for x := 0; x < len(row); x += 3 {
			c := uint32(row[x]) | uint32(row[x+1])<<8 | uint32(row[x+2])<<16
			if c == last {
				continue
			}
			last = c
			i, ok := e.lookup(c, n)
			if !ok {
				return false
			}
			if int(i) == n {
				n++
			}
		}
	}
	return true
}

// writeIndexed compresses the packed palette indices with filter None:
// prediction does not help indices, which are not intensities.
func (e *pngEncoder) writeIndexed(w, h, depth int) {
	rowLen := 1 + (w*depth+7)/8
	e.rows = e.rows[:0]
	perByte := 8 / depth
	for y := 0; y < h; y++ {
		src := e.index[y*w : (y+1)*w]
		e.rows = append(e.rows, filterNone)
		if depth == 8 {
			e.rows = append(e.rows, src...)
		} else {
			for x := 0; x < w; x += perByte {
				var b byte
				for i := 0; i < perByte; i++ {
					b <<= depth
					if x+i < w {
						b |= src[x+i]
					}
				}
				e.rows = append(e.rows, b)
			}
		}
		if len(e.rows)+rowLen > 32<<10 {
			e.flushRows()
		}
	}
	e.flushRows()
}

// writeDirect compresses RGB or RGBA scanlines with the Up filter, which
// costs one subtraction per byte and suits vertical gradients and repeated
// rows, common on screens.
func (e *pngEncoder) writeDirect(pix []byte, stride, w, h, bpp int) {
	n := w * bpp
	e.rows = e.rows[:0]
	for y := range h {
		src := pix[y*stride:][:n]
		e.rows = append(e.rows, filterUp)
		start := len(e.rows)
		e.rows = append(e.rows, src...)
		if y > 0 {
			// The pixels are in the image's own format: the row above
			// is the Up filter's prediction as it stands.
			prev := pix[(y-1)*stride:][:n]
			out := e.rows[start:]
			for i := range out {
				out[i] -= prev[i]
			}
		}
		if len(e.rows)+1+n > 32<<10 {
			e.flushRows()
		}
	}
	e.flushRows()
}

func (e *pngEncoder) flushRows() {
	if len(e.rows) > 0 {
		// The zlib writer's destination is an appendWriter, which never fails.
		if e.zw != nil {
			_, _ = e.zw.Write(e.rows)
		} else {
			_, _ = e.adler.Write(e.rows)
			e.df.write(e.rows)
		}
		e.rows = e.rows[:0]
	}
}

// beginChunk appends a chunk header with a placeholder length and returns
// the offset of the length field for endChunk.
func (e *pngEncoder) beginChunk(typ string) int {
	start := len(e.out.b)
	e.out.b = append(e.out.b, 0, 0, 0, 0)
	e.out.b = append(e.out.b, typ...)
	return start
}

// endChunk fills in the length of the chunk begun at start and appends its CRC.
func (e *pngEncoder) endChunk(start int) {
	b := e.out.b
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-8))
	e.out.b = binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start+4:]))
}

func (e *pngEncoder) chunk(typ string, data []byte) {
	start := e.beginChunk(typ)
	e.out.b = append(e.out.b, data...)
	e.endChunk(start)
}
