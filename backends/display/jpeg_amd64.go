//go:build amd64

package display

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2 kernels in jpeg_amd64.s. The pure-Go path stays
// for other CPUs and is what the kernels are tested against; a variable so
// that tests run both.
var useAVX2 = cpu.X86.HasAVX2

// fdctQuantAVX2 is quantize's DCT and quantisation on eight rows at once,
// storing out in the same transposed order; it returns the mask of the
// nonzero coefficients by transposed index, which zigzagMask reorders.
//
//go:noescape
func fdctQuantAVX2(b *[64]float32, divT *[64]float32, out *[64]int16) uint64

// mcuAVX2 is (*jpegEncoder).mcu: the 16x16 RGB pixels at pix (rows
// stride bytes apart) to four level-shifted luma blocks and 2x2-averaged
// chroma blocks.
//
//go:noescape
func mcuAVX2(pix *byte, stride int, y *[4][64]float32, cb, cr *[64]float32)

// convert is mcu, with the AVX2 kernel when the CPU has it.
func (e *jpegEncoder) convert(pix []byte, stride int) {
	if !useAVX2 {
		e.mcu(pix, stride)
		return
	}
	_ = pix[15*stride+47] // the kernel reads 16 rows of 48 bytes
	mcuAVX2(&pix[0], stride, &e.y, &e.cb, &e.cr)
}

// zigzagBits[i][v] is byte i of a mask by transposed index, with value v,
// as a mask by zigzag index.
var zigzagBits = func() (t [8][256]uint64) {
	for k, n := range zigzagT {
		for v := range 256 {
			if v>>(n%8)&1 != 0 {
				t[n/8][v] |= 1 << k
			}
		}
	}
	return t
}()

// quantBlock transforms and quantises block b with table t into dst (in
// transposed order, see zigzagT), returning the mask of nonzero
// coefficients by zigzag index.
func (e *jpegEncoder) quantBlock(dst []int16, b *[64]float32, t int) uint64 {
	if !useAVX2 {
		return quantize(dst, b, &e.div[t])
	}
	m := fdctQuantAVX2(b, &e.divT[t], (*[64]int16)(dst[:64]))
	return zigzagBits[0][byte(m)] | zigzagBits[1][byte(m>>8)] | zigzagBits[2][byte(m>>16)] |
		zigzagBits[3][byte(m>>24)] | zigzagBits[4][byte(m>>32)] | zigzagBits[5][byte(m>>40)] |
		zigzagBits[6][byte(m>>48)] | zigzagBits[7][byte(m>>56)]
}
