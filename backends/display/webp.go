package display

import (
	"encoding/binary"
	"image"

	"github.com/goguacd/goguacd/backends/rgb"
)

// webpEncoder writes lossy WebP: one VP8 key frame (RFC 6386) in a RIFF
// container, for the browsers that accept image/webp. It is built for
// speed over size: 16x16 luma prediction only (DC, V, H or TM, chosen by
// the sum of absolute differences), the same mode for chroma, one token
// partition with the default probabilities, no loop filter. Colours are
// converted with BT.601 studio swing, as WebP decoders expect.
//
// The picture is processed one macroblock row at a time: the row is
// converted to Y'CbCr, and each macroblock is then overwritten with its
// reconstruction, which is what the decoder will predict the next ones
// from.
type webpEncoder struct {
	quality int
	qi      int         // VP8 quantizer index, 0..127
	quant   [3]vp8Quant // for Y (after Y2), Y2 and chroma blocks

	mbw  int
	y    []uint8 // one macroblock row of luma, stride 16*mbw
	u, v []uint8 // and of chroma, stride 8*mbw
	// The reconstructed bottom rows of the macroblock row above.
	topY, topU, topV []uint8
	topNZ            []vp8NZ // per macroblock column
	leftNZ           vp8NZ
	modes            []uint8 // per macroblock: luma mode | chroma mode<<2 | skip<<4

	hdr, tok boolEncoder

	// Per-macroblock scratch.
	predY  [256]uint8
	predUV [2][64]uint8
	levels [25][16]int16 // quantised coefficients, zigzag order: 16 Y, Y2, 4 U, 4 V
	last   [25]int8      // index of the last nonzero level, -1 if none
	deq    [25][16]int32 // dequantised coefficients, natural order
}

// vp8Quant is the quantiser of one block type, per coefficient in
// zigzag order (the first is DC, the rest AC).
type vp8Quant struct {
	q    [16]int32  // step
	iq   [16]uint32 // 2^17 / step, rounded up
	bias [16]uint32 // rounding, in 2^-17 units
}

// vp8NZ flags, per 4x4 block along a macroblock edge, whether the block
// had a nonzero coefficient: the context for the neighbour's first token.
// Indices: 0-3 luma, 4-5 Cb, 6-7 Cr, 8 Y2.
type vp8NZ [9]uint8

// Prediction modes, numbered as we store them (not as coded).
const (
	predDC = iota
	predV
	predH
	predTM
)

// Block types of the coefficient probability tables.
const (
	typeYAfterY2 = 0
	typeY2       = 1
	typeChroma   = 2
	vp8NumProbs  = 4 * 8 * 3 * 11
)

// vp8Zigzag lists the natural (row-major) index of each coefficient in
// coding order.
var vp8Zigzag = [16]uint8{0, 1, 4, 8, 5, 2, 3, 6, 9, 12, 13, 10, 7, 11, 14, 15}

// vp8Bands maps a coefficient's coding position to its probability band;
// the 17th entry serves the position after the last.
var vp8Bands = [17]uint8{0, 1, 2, 3, 6, 4, 5, 6, 6, 6, 6, 6, 6, 6, 6, 7, 0}

// Probabilities of the extra bits of token categories 3 to 6 (RFC 6386
// section 13.2); 1 and 2 are coded inline.
var vp8CatProbs = [4][]uint8{
	{173, 148, 140},
	{176, 155, 140, 135},
	{180, 157, 141, 134, 130},
	{254, 254, 243, 230, 196, 177, 153, 140, 133, 130, 129},
}

// maxLevel is the largest quantised magnitude a token can carry
// (category 6: 67 + 2^11 - 1), kept well inside it.
const maxLevel = 2048

// setQuality maps quality 1..100 to a quantizer index. The curve was
// fitted so that a quality gives about the PSNR our JPEG encoder gives at
// the same quality on photo-like screen content, in fewer bytes; so the
// engine's quality-from-lag rule means the same for both.
func (e *webpEncoder) setQuality(quality int) {
	quality = min(max(quality, 1), 100)
	if quality == e.quality {
		return
	}
	e.quality = quality
	e.qi = webpQuantIndex(quality)
	set := func(k int, dc, ac int32) {
		q := &e.quant[k]
		for i := range q.q {
			// Rounding below one half for AC trades a little PSNR for
			// many fewer small coefficients, the expensive tokens.
			s, bias := ac, uint32(3<<14)
			if i == 0 {
				s, bias = dc, 1<<16
			}
			q.q[i], q.iq[i], q.bias[i] = s, uint32((1<<17+s-1)/s), bias
		}
	}
	i := e.qi
	set(typeYAfterY2, vp8DCQuant[i], vp8ACQuant[i])
	set(typeY2, 2*vp8DCQuant[i], max(vp8ACQuant[i]*155/100, 8))
	set(typeChroma, min(vp8DCQuant[i], 132), vp8ACQuant[i])
}

// webpQuantIndex is the quantizer index for a quality: linear between
// anchors where, on the benchmark's photo-like picture, WebP matches the
// PSNR of our JPEG at the same quality (37.7 dB at 90, 34.6 at 60, 33.7
// at 30).
func webpQuantIndex(quality int) int {
	anchors := [...]struct{ quality, qi int }{{1, 127}, {30, 46}, {60, 26}, {90, 13}, {100, 0}}
	for i := 1; i < len(anchors); i++ {
		a, b := anchors[i-1], anchors[i]
		if quality <= b.quality {
			return a.qi + (quality-a.quality)*(b.qi-a.qi)/(b.quality-a.quality)
		}
	}
	return 0
}

// encode appends to dst a lossy WebP image of r (within img) at quality
// 1..100.
func (e *webpEncoder) encode(dst []byte, img *rgb.Image, r image.Rectangle, quality int) []byte {
	e.setQuality(quality)
	w, h := r.Dx(), r.Dy()
	e.mbw = (w + 15) >> 4
	mbh := (h + 15) >> 4
	e.y = grow(e.y, 16*16*e.mbw)
	e.u = grow(e.u, 8*8*e.mbw)
	e.v = grow(e.v, 8*8*e.mbw)
	e.topY = grow(e.topY, 16*e.mbw)
	e.topU = grow(e.topU, 8*e.mbw)
	e.topV = grow(e.topV, 8*e.mbw)
	if cap(e.topNZ) < e.mbw {
		e.topNZ = make([]vp8NZ, e.mbw)
	}
	e.topNZ = e.topNZ[:e.mbw]
	clear(e.topNZ)
	e.modes = grow(e.modes, e.mbw*mbh)
	e.tok.reset(e.tok.buf)

	for mby := 0; mby < mbh; mby++ {
		e.loadRow(img, r, mby)
		e.leftNZ = vp8NZ{}
		for mbx := 0; mbx < e.mbw; mbx++ {
			e.macroblock(mbx, mby)
		}
		copy(e.topY, e.y[15*16*e.mbw:])
		copy(e.topU, e.u[7*8*e.mbw:])
		copy(e.topV, e.v[7*8*e.mbw:])
	}
	first := e.header(w, h)
	tokens := e.tok.finish()
	return appendWebP(dst, w, h, first, tokens)
}

// grow returns b resized to n bytes, reusing its array when big enough.
func grow(b []uint8, n int) []uint8 {
	if cap(b) < n {
		return make([]uint8, n)
	}
	return b[:n]
}

// appendWebP wraps a VP8 key frame's two partitions in the RIFF container.
func appendWebP(dst []byte, w, h int, first, tokens []byte) []byte {
	size := 10 + len(first) + len(tokens) // frame header + partitions
	pad := size & 1
	dst = append(dst, "RIFF"...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(4+8+size+pad))
	dst = append(dst, "WEBPVP8 "...)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	// Frame tag: key frame, version 0, shown, size of the first partition.
	tag := 1<<4 | uint32(len(first))<<5
	dst = append(dst, byte(tag), byte(tag>>8), byte(tag>>16), 0x9d, 0x01, 0x2a)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(w))
	dst = binary.LittleEndian.AppendUint16(dst, uint16(h))
	dst = append(dst, first...)
	dst = append(dst, tokens...)
	if pad != 0 {
		dst = append(dst, 0)
	}
	return dst
}

// header codes the first partition: the frame header and every
// macroblock's modes.
func (e *webpEncoder) header(w, h int) []byte {
	b := &e.hdr
	b.reset(b.buf)
	b.putChecked(128, false) // colour space: BT.601
	b.putChecked(128, false) // clamping required
	b.putChecked(128, false) // no segmentation
	b.putChecked(128, false) // normal loop filter type...
	b.putUint(0, 6)          // ...at level 0: off
	b.putUint(0, 3)          // sharpness
	b.putChecked(128, false) // no loop filter deltas
	b.putUint(0, 2)          // one token partition
	b.putUint(uint32(e.qi), 7)
	for range 5 {
		b.putChecked(128, false) // no quantizer deltas
	}
	b.putChecked(128, false) // probabilities are for this frame only
	for _, p := range vp8CoeffUpdateProbs {
		b.putChecked(p, false) // keep the default token probabilities
	}
	skipped := 0
	for _, m := range e.modes {
		skipped += int(m >> 4)
	}
	useSkip := skipped > 0
	var probNoSkip uint8
	b.putChecked(128, useSkip)
	if useSkip {
		probNoSkip = uint8(min(max((len(e.modes)-skipped)*256/len(e.modes), 1), 255))
		b.putUint(uint32(probNoSkip), 8)
	}
	for _, m := range e.modes {
		if useSkip {
			b.putChecked(probNoSkip, m>>4 != 0)
		}
		b.putChecked(145, true) // a 16x16 luma mode, not per-subblock
		switch m & 3 {
		case predDC:
			b.putChecked(156, false)
			b.putChecked(163, false)
		case predV:
			b.putChecked(156, false)
			b.putChecked(163, true)
		case predH:
			b.putChecked(156, true)
			b.putChecked(128, false)
		case predTM:
			b.putChecked(156, true)
			b.putChecked(128, true)
		}
		uv := m >> 2 & 3
		b.putChecked(142, uv != predDC)
		if uv != predDC {
			b.putChecked(114, uv != predV)
			if uv != predV {
				b.putChecked(183, uv == predTM)
			}
		}
	}
	return b.finish()
}

// loadRow converts macroblock row mby of r to Y'CbCr (BT.601 studio
// swing, chroma averaged over 2x2), repeating the last column and row to
// fill whole macroblocks.
func (e *webpEncoder) loadRow(img *rgb.Image, r image.Rectangle, mby int) {
	ys, cs := 16*e.mbw, 8*e.mbw
	w := r.Dx()
	for yy := 0; yy < 16; yy += 2 {
		sy0 := min(r.Min.Y+16*mby+yy, r.Max.Y-1)
		sy1 := min(sy0+1, r.Max.Y-1)
		row0 := img.Pix[img.PixOffset(r.Min.X, sy0):][:3*w]
		row1 := img.Pix[img.PixOffset(r.Min.X, sy1):][:3*w]
		y0, y1 := e.y[yy*ys:][:ys], e.y[(yy+1)*ys:][:ys]
		u, v := e.u[yy/2*cs:][:cs], e.v[yy/2*cs:][:cs]
		for cx := 0; cx < cs; cx++ {
			x0 := 3 * min(2*cx, w-1)
			x1 := 3 * min(2*cx+1, w-1)
			p, q := row0[x0:x0+3], row0[x1:x1+3]
			s, t := row1[x0:x0+3], row1[x1:x1+3]
			y0[2*cx] = lumaBT601(p[0], p[1], p[2])
			y0[2*cx+1] = lumaBT601(q[0], q[1], q[2])
			y1[2*cx] = lumaBT601(s[0], s[1], s[2])
			y1[2*cx+1] = lumaBT601(t[0], t[1], t[2])
			rs := int32(p[0]) + int32(q[0]) + int32(s[0]) + int32(t[0])
			gs := int32(p[1]) + int32(q[1]) + int32(s[1]) + int32(t[1])
			bs := int32(p[2]) + int32(q[2]) + int32(s[2]) + int32(t[2])
			u[cx] = uint8((-38*rs - 74*gs + 112*bs + 128<<10 + 512) >> 10)
			v[cx] = uint8((112*rs - 94*gs - 18*bs + 128<<10 + 512) >> 10)
		}
	}
}

// lumaBT601 is Y' in studio swing (16..235).
func lumaBT601(r, g, b uint8) uint8 {
	return uint8((66*int32(r) + 129*int32(g) + 25*int32(b) + 16<<8 + 128) >> 8)
}
