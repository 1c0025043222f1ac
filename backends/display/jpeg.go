package display

import (
	"encoding/binary"
	"image"
	"math/bits"
	"slices"

	"github.com/goguacd/goguacd/backends/rgb"
)

// jpegEncoder writes baseline JPEG (YCbCr 4:2:0) with Huffman tables
// optimised for each image. It is about twice as fast as image/jpeg: a
// float AAN DCT with quantisation folded into one multiply per
// coefficient, and a 64-bit bit writer. The optimised tables cost a second
// pass over the image's symbols but save bytes, which here buys quality.
type jpegEncoder struct {
	quality int
	qt      [2][64]byte    // quantisation tables, zigzag order
	div     [2][64]float32 // per natural-order coefficient: 1/(q * AAN scale * 8)
	divT    [2][64]float32 // div transposed, for the AVX2 kernel

	// Each MCU is quantised into blk and turned into symbols at once, so
	// only the symbol stream of an image is kept for the second pass (the
	// optimised tables need every frequency before the first code is
	// written): no image-sized coefficient buffer.
	blk   [6 * 64]int16 // one MCU's quantised blocks (Y0-3 Cb Cr), transposed (zigzagT)
	masks [6]uint64     // per block of blk: nonzero coefficients, see quantize
	pred  [3]int32      // DC predictors: Y, Cb, Cr
	syms  []uint32      // Huffman symbols of the image, see symbols
	y     [4][64]float32
	cb    [64]float32
	cr    [64]float32
	edge  [16 * 48]byte
	freq  [4][257]int32
	codes [4]huffCode
	hs    huffScratch
	bw    bitWriter
}

// huffCode is one Huffman table: its DHT description and its codes.
type huffCode struct {
	bits [17]byte // bits[l]: number of codes of length l
	vals []byte   // symbols by increasing code length
	// lut[s] is symbol s's code shifted left by 8 bits, plus its length.
	lut [256]uint32
}

// huffScratch is build's working memory, kept off the stack so that
// encoding goroutines do not grow their stacks for it on every frame.
type huffScratch struct {
	nodes  [2 * 257]huffNode
	leaves [257]int
	depth  [2 * 257]int
}

// huffNode is a node of the Huffman tree.
type huffNode struct {
	f    int64
	sym  int // symbol, or -1 for an internal node
	l, r int
}

// Table indices in jpegEncoder.freq and codes.
const (
	dcLuma = iota
	acLuma
	dcChroma
	acChroma
)

// zigzag[i] is the natural (row-major) index of the i-th coefficient in
// zigzag order.
var zigzag = func() (z [64]int) {
	i := 0
	for s := 0; s < 15; s++ { // anti-diagonals x+y = s
		for k := 0; k <= s; k++ {
			x, y := s-k, k // odd diagonals run down-left
			if s%2 == 0 {
				x, y = k, s-k // even ones up-right
			}
			if x < 8 && y < 8 {
				z[i] = y*8 + x
				i++
			}
		}
	}
	return z
}()

// zigzagT[k] is the index in a transposed block (u*8+v for vertical
// frequency v and horizontal u) of the k-th zigzag coefficient. Blocks are
// kept transposed because that is how the AVX2 DCT leaves them.
var zigzagT = func() (z [64]int) {
	for k, n := range zigzag {
		z[k] = n%8*8 + n/8
	}
	return z
}()

// Base quantisation tables of ITU-T T.81 Annex K, natural order.
var baseQuant = [2][64]byte{
	{
		16, 11, 10, 16, 24, 40, 51, 61,
		12, 12, 14, 19, 26, 58, 60, 55,
		14, 13, 16, 24, 40, 57, 69, 56,
		14, 17, 22, 29, 51, 87, 80, 62,
		18, 22, 37, 56, 68, 109, 103, 77,
		24, 35, 55, 64, 81, 104, 113, 92,
		49, 64, 78, 87, 103, 121, 120, 101,
		72, 92, 95, 98, 112, 100, 103, 99,
	},
	{
		17, 18, 24, 47, 99, 99, 99, 99,
		18, 21, 26, 66, 99, 99, 99, 99,
		24, 26, 56, 99, 99, 99, 99, 99,
		47, 66, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// aanScale are the output scale factors of the AAN DCT.
var aanScale = [8]float32{1, 1.387039845, 1.306562965, 1.175875602, 1, 0.785694958, 0.541196100, 0.275899379}

// setQuality scales the base tables the way libjpeg does, so that a given
// quality means the same here as in guacd.
func (e *jpegEncoder) setQuality(q int) {
	q = min(max(q, 1), 100)
	if q == e.quality {
		return
	}
	e.quality = q
	scale := 200 - 2*q
	if q < 50 {
		scale = 5000 / q
	}
	for t := range 2 {
		for i := range 64 {
			v := (int(baseQuant[t][i])*scale + 50) / 100
			v = min(max(v, 1), 255)
			e.div[t][i] = 1 / (float32(v) * aanScale[i/8] * aanScale[i%8] * 8)
			e.divT[t][i%8*8+i/8] = e.div[t][i]
		}
		for k := range 64 {
			e.qt[t][k] = byte(min(max((int(baseQuant[t][zigzag[k]])*scale+50)/100, 1), 255))
		}
	}
}

// encode appends the JPEG encoding of r within img to dst.
func (e *jpegEncoder) encode(dst []byte, img *rgb.Image, r image.Rectangle, quality int) []byte {
	e.setQuality(quality)
	mx, my := (r.Dx()+15)/16, (r.Dy()+15)/16
	e.transform(img, r, mx, my)
	for t := range 4 {
		e.codes[t].build(&e.freq[t], &e.hs)
	}
	dst = e.header(dst, r.Dx(), r.Dy())
	e.bw = bitWriter{out: dst}
	e.emit()
	e.bw.pad()
	return append(e.bw.out, 0xff, 0xd9)
}

// transform converts, transforms and quantises every MCU and turns it into
// Huffman symbols in e.syms, counting their frequencies.
func (e *jpegEncoder) transform(img *rgb.Image, r image.Rectangle, mx, my int) {
	w, h := r.Dx(), r.Dy()
	for t := range e.freq {
		clear(e.freq[t][:])
	}
	e.pred = [3]int32{}
	e.syms = e.syms[:0]
	for by := range my {
		for bx := range mx {
			// symbols stores by index: room for one MCU at its worst.
			// Reserving a row of MCUs at once kept up to 120 KB of
			// headroom per encoder on wide strips.
			e.syms = slices.Grow(e.syms, len(e.blk))
			x0, y0 := bx*16, by*16
			pix, stride := img.Pix[img.PixOffset(r.Min.X+x0, r.Min.Y+y0):], img.Stride
			if x0+16 > w || y0+16 > h {
				// Edge MCU: repeat the last column and row into scratch.
				for py := range 16 {
					row := img.Pix[img.PixOffset(r.Min.X, r.Min.Y+min(y0+py, h-1)):]
					for px := range 16 {
						sx := 3 * min(x0+px, w-1)
						copy(e.edge[py*48+px*3:py*48+px*3+3], row[sx:sx+3])
					}
				}
				pix, stride = e.edge[:], 48
			}
			e.convert(pix, stride)
			for k := range 4 {
				e.masks[k] = e.quantBlock(e.blk[k*64:k*64+64:k*64+64], &e.y[k], 0)
			}
			e.masks[4] = e.quantBlock(e.blk[4*64:5*64:5*64], &e.cb, 1)
			e.masks[5] = e.quantBlock(e.blk[5*64:6*64:6*64], &e.cr, 1)
			e.symbols()
		}
	}
}

// mcu converts the 16x16 pixels at pix to level-shifted Y blocks and
// 2x2-averaged Cb and Cr blocks.
func (e *jpegEncoder) mcu(pix []byte, stride int) {
	for py := 0; py < 16; py += 2 {
		r0 := pix[py*stride : py*stride+48 : py*stride+48]
		r1 := pix[(py+1)*stride : (py+1)*stride+48 : (py+1)*stride+48]
		yb := (py / 8) * 2
		yo := (py % 8) * 8
		for px := 0; px < 16; px += 2 {
			i := px * 3
			R0, G0, B0 := float32(r0[i]), float32(r0[i+1]), float32(r0[i+2])
			R1, G1, B1 := float32(r0[i+3]), float32(r0[i+4]), float32(r0[i+5])
			R2, G2, B2 := float32(r1[i]), float32(r1[i+1]), float32(r1[i+2])
			R3, G3, B3 := float32(r1[i+3]), float32(r1[i+4]), float32(r1[i+5])
			yk := &e.y[yb+px/8]
			o := yo + px%8
			yk[o&63] = 0.299*R0 + 0.587*G0 + 0.114*B0 - 128
			yk[(o+1)&63] = 0.299*R1 + 0.587*G1 + 0.114*B1 - 128
			yk[(o+8)&63] = 0.299*R2 + 0.587*G2 + 0.114*B2 - 128
			yk[(o+9)&63] = 0.299*R3 + 0.587*G3 + 0.114*B3 - 128
			R, G, B := R0+R1+R2+R3, G0+G1+G2+G3, B0+B1+B2+B3
			c := ((py/2)*8 + px/2) & 63
			e.cb[c] = -0.042184*R - 0.082816*G + 0.125*B
			e.cr[c] = 0.125*R - 0.104672*G - 0.020328*B
		}
	}
}

// quantize runs the AAN forward DCT on b in place, stores the quantised
// coefficients transposed (see zigzagT) and returns a mask of the nonzero
// ones (bit k for zigzag index k), so that symbols can jump over zero runs.
func quantize(dst []int16, b *[64]float32, div *[64]float32) uint64 {
	for i := 0; i < 64; i += 8 {
		fdctRow((*[8]float32)(b[i : i+8]))
	}
	for i := range 8 {
		fdctCol((*[57]float32)(b[i : i+57]))
	}
	dst = dst[:64:64]
	var mask uint64
	for k, n := range zigzag {
		// Adding and removing 1.5*2^23 rounds to nearest without a
		// branch on the sign; |v| stays far below 2^22.
		v := b[n&63]*div[n&63] + 12582912
		q := int16(v - 12582912)
		dst[zigzagT[k]&63] = q
		mask |= uint64((uint16(q)|-uint16(q))>>15) << k
	}
	return mask
}

// fdctRow is the 8-point AAN forward DCT of one row, in place.
func fdctRow(d *[8]float32) {
	t0, t7 := d[0]+d[7], d[0]-d[7]
	t1, t6 := d[1]+d[6], d[1]-d[6]
	t2, t5 := d[2]+d[5], d[2]-d[5]
	t3, t4 := d[3]+d[4], d[3]-d[4]
	d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7] = fdct8(t0, t1, t2, t3, t4, t5, t6, t7)
}

// fdctCol is fdctRow on a column: elements 0, 8, ..., 56.
func fdctCol(d *[57]float32) {
	t0, t7 := d[0]+d[56], d[0]-d[56]
	t1, t6 := d[8]+d[48], d[8]-d[48]
	t2, t5 := d[16]+d[40], d[16]-d[40]
	t3, t4 := d[24]+d[32], d[24]-d[32]
	d[0], d[8], d[16], d[24], d[32], d[40], d[48], d[56] = fdct8(t0, t1, t2, t3, t4, t5, t6, t7)
}

// fdct8 finishes the AAN DCT from the first butterfly's sums t0-t3 and
// differences t4-t7, returning the eight outputs in frequency order.
func fdct8(t0, t1, t2, t3, t4, t5, t6, t7 float32) (o0, o1, o2, o3, o4, o5, o6, o7 float32) {
	t10, t13 := t0+t3, t0-t3
	t11, t12 := t1+t2, t1-t2
	o0, o4 = t10+t11, t10-t11
	z1 := (t12 + t13) * 0.707106781
	o2, o6 = t13+z1, t13-z1

	t10, t11, t12 = t4+t5, t5+t6, t6+t7
	z5 := (t10 - t12) * 0.382683433
	z2 := 0.541196100*t10 + z5
	z4 := 1.306562965*t12 + z5
	z3 := t11 * 0.707106781
	z11, z13 := t7+z3, t7-z3
	return o0, z11 + z4, o2, z13 - z2, o4, z13 + z2, o6, z11 - z4
}

// symbols appends the Huffman symbols of the MCU in e.blk to e.syms,
// counting their frequencies. Each entry packs the table (bits 28-29), the
// symbol (20-27), the number of extra bits (16-19) and the extra bits.
func (e *jpegEncoder) symbols() {
	// A block yields at most 64 symbols (DC, then per AC coefficient a
	// symbol, a ZRL replacing 16 zeros, or one EOB), so indexed stores
	// into that much room, reserved by transform, replace appends.
	n := len(e.syms)
	syms := e.syms[:n+len(e.blk)]
	for b := range e.masks {
		c, dc, ac := 0, uint32(dcLuma), uint32(acLuma)
		if b >= 4 {
			c, dc, ac = b-3, dcChroma, acChroma
		}
		fdc, fac := &e.freq[dc], &e.freq[ac]
		blk := (*[64]int16)(e.blk[b*64 : b*64+64])
		diff := int32(blk[0]) - e.pred[c]
		e.pred[c] = int32(blk[0])
		sy := symbol(dc, diff, 0)
		syms[n] = sy
		n++
		fdc[sy>>20&0xff]++
		// Visit the nonzero AC coefficients only; the gaps are the runs.
		mask := e.masks[b] &^ 1
		prev := 0
		for mask != 0 {
			k := bits.TrailingZeros64(mask)
			mask &= mask - 1
			run := uint32(k - prev - 1)
			prev = k
			for run > 15 {
				syms[n] = ac<<28 | 0xf0<<20
				n++
				fac[0xf0]++
				run -= 16
			}
			sy := symbol(ac, int32(blk[zigzagT[k&63]&63]), run)
			syms[n] = sy
			n++
			fac[sy>>20&0xff]++
		}
		if prev < 63 {
			syms[n] = ac << 28
			n++
			fac[0]++
		}
	}
	e.syms = syms[:n]
}

// symbol packs a coefficient v preceded by run zeros for table t. The
// sign is handled without a branch: noisy pictures make it unpredictable.
func symbol(t uint32, v int32, run uint32) uint32 {
	m := v >> 31
	a := (v ^ m) - m // |v|
	v += m           // one's complement for negatives, as JPEG wants
	n := uint32(bits.Len32(uint32(a)))
	return t<<28 | (run<<4|n)<<20 | n<<16 | uint32(v)&(1<<n-1)
}

// emit writes the symbol stream with the built codes. The bit writer's
// state lives in locals here: this loop runs once per symbol.
func (e *jpegEncoder) emit() {
	out, acc, nb := e.bw.out, e.bw.acc, e.bw.n
	for _, sy := range e.syms {
		c := e.codes[sy>>28&3].lut[sy>>20&0xff]
		extra := uint(sy >> 16 & 0xf)
		size := uint(c&0xff) + extra
		acc = acc<<size | uint64(c>>8)<<extra | uint64(sy&0xffff)
		nb += size
		if nb < 32 {
			continue
		}
		nb -= 32
		word := uint32(acc >> nb)
		// Fast path: no 0xff byte in the word, i.e. no zero byte in ^word.
		if x := ^word; (x-0x01010101)&^x&0x80808080 == 0 {
			out = binary.BigEndian.AppendUint32(out, word)
			continue
		}
		for sh := 24; sh >= 0; sh -= 8 {
			b := byte(word >> sh)
			out = append(out, b)
			if b == 0xff {
				out = append(out, 0)
			}
		}
	}
	e.bw.out, e.bw.acc, e.bw.n = out, acc, nb
}

// build derives code lengths limited to 16 bits from symbol frequencies
// (ITU-T T.81 Annex K.2) and assigns canonical codes. A reserved symbol
// with frequency 1 keeps any real symbol from getting the all-ones code.
func (h *huffCode) build(freq *[257]int32, sc *huffScratch) {
	nodes, leaves, depth := &sc.nodes, &sc.leaves, &sc.depth
	nl := 0
	freq[256] = 1
	for s, f := range freq {
		if f > 0 {
			nodes[nl] = huffNode{f: int64(f), sym: s}
			leaves[nl] = nl
			nl++
		}
	}
	// Two-queue Huffman: leaves sorted by frequency, internal nodes are
	// created in increasing frequency order.
	ls := leaves[:nl]
	slices.SortFunc(ls, func(a, b int) int {
		if nodes[a].f != nodes[b].f {
			return int(nodes[a].f - nodes[b].f)
		}
		return nodes[b].sym - nodes[a].sym
	})
	nn := nl
	qi, li := nl, 0 // internal queue head, leaf queue head
	pick := func() int {
		if li < nl && (qi >= nn || nodes[ls[li]].f <= nodes[qi].f) {
			li++
			return ls[li-1]
		}
		qi++
		return qi - 1
	}
	for (nl-li)+(nn-qi) > 1 {
		a, b := pick(), pick()
		nodes[nn] = huffNode{f: nodes[a].f + nodes[b].f, sym: -1, l: a, r: b}
		nn++
	}
	// Depths, from the root down (parents come after children).
	var count [33]int
	depth[nn-1] = 0
	for i := nn - 1; i >= 0; i-- {
		if nodes[i].sym >= 0 {
			d := max(min(depth[i], 32), 1)
			count[d]++
			continue
		}
		depth[nodes[i].l] = depth[i] + 1
		depth[nodes[i].r] = depth[i] + 1
	}
	limitLengths(count[:], 16)
	// Drop the reserved symbol from the longest length.
	i := 16
	for count[i] == 0 {
		i--
	}
	count[i]--
	for l := 1; l <= 16; l++ {
		h.bits[l] = byte(count[l])
	}
	// Symbols by length: the most frequent get the shortest codes. The
	// leaves sorted ascending give that order when read backwards.
	h.vals = h.vals[:0]
	for k := nl - 1; k >= 0; k-- {
		if s := nodes[ls[k]].sym; s != 256 {
			h.vals = append(h.vals, byte(s))
		}
	}
	code, k := uint16(0), 0
	for l := 1; l <= 16; l++ {
		for range int(h.bits[l]) {
			s := h.vals[k]
			h.lut[s] = uint32(code)<<8 | uint32(l)
			code++
			k++
		}
		code <<= 1
	}
}

// header appends SOI, DQT, SOF0, DHT and SOS.
func (e *jpegEncoder) header(dst []byte, w, h int) []byte {
	dst = append(dst, 0xff, 0xd8)
	dst = append(dst, 0xff, 0xdb, 0, 2+2*65)
	for t := range 2 {
		dst = append(dst, byte(t))
		dst = append(dst, e.qt[t][:]...)
	}
	dst = append(dst, 0xff, 0xc0, 0, 17, 8)
	dst = binary.BigEndian.AppendUint16(dst, uint16(h))
	dst = binary.BigEndian.AppendUint16(dst, uint16(w))
	dst = append(dst, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1)
	length := 2
	for t := range 4 {
		length += 17 + len(e.codes[t].vals)
	}
	dst = append(dst, 0xff, 0xc4)
	dst = binary.BigEndian.AppendUint16(dst, uint16(length))
	for t, class := range [4]byte{0x00, 0x10, 0x01, 0x11} {
		dst = append(dst, class)
		dst = append(dst, e.codes[t].bits[1:]...)
		dst = append(dst, e.codes[t].vals...)
	}
	return append(dst, 0xff, 0xda, 0, 12, 3, 1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0)
}

// bitWriter packs Huffman codes MSB first, stuffing a zero after 0xff.
type bitWriter struct {
	out []byte
	acc uint64 // pending bits, right-aligned
	n   uint   // number of pending bits
}

// pad flushes the pending bits, filling the last byte with ones.
func (b *bitWriter) pad() {
	for b.n >= 8 {
		b.n -= 8
		c := byte(b.acc >> b.n)
		b.out = append(b.out, c)
		if c == 0xff {
			b.out = append(b.out, 0)
		}
	}
	if b.n > 0 {
		c := byte(b.acc<<(8-b.n)) | byte(1<<(8-b.n)-1)
		b.out = append(b.out, c)
		if c == 0xff {
			b.out = append(b.out, 0)
		}
	}
	b.acc, b.n = 0, 0
}
