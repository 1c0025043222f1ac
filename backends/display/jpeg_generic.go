//go:build !amd64

package display

// quantBlock transforms and quantises block b with table t into dst (in
// transposed order, see zigzagT), returning the mask of nonzero
// coefficients by zigzag index.
func (e *jpegEncoder) quantBlock(dst []int16, b *[64]float32, t int) uint64 {
	return quantize(dst, b, &e.div[t])
}

// convert is mcu.
func (e *jpegEncoder) convert(pix []byte, stride int) { e.mcu(pix, stride) }
