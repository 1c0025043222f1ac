package display

// The VP8 transforms (RFC 6386 section 14). The inverse ones must match
// the decoder's bit for bit, since the encoder predicts from what the
// decoder will reconstruct; the forward ones only need to invert them
// closely.

// fdct4 is the forward 4x4 DCT of the residual block in (row-major),
// scaled as VP8 expects: twice the orthonormal DCT, so that idct4's final
// divide by 8 gives back the residual.
func fdct4(in *[16]int32, out *[16]int32) {
	// 5352 and 2217 are sqrt(2)*cos(pi/8) and sqrt(2)*sin(pi/8) in 1/4096.
	var t [16]int32
	for r := 0; r < 16; r += 4 {
		a, b := in[r]+in[r+3], in[r+1]+in[r+2]
		c, d := in[r+1]-in[r+2], in[r]-in[r+3]
		// The first pass keeps 3 more bits of precision.
		t[r] = (a + b) << 3
		t[r+2] = (a - b) << 3
		t[r+1] = (d*5352 + c*2217 + 256) >> 9
		t[r+3] = (d*2217 - c*5352 + 256) >> 9
	}
	for j := 0; j < 4; j++ {
		a, b := t[j]+t[12+j], t[4+j]+t[8+j]
		c, d := t[4+j]-t[8+j], t[j]-t[12+j]
		out[j] = (a + b + 8) >> 4
		out[8+j] = (a - b + 8) >> 4
		out[4+j] = (d*5352 + c*2217 + 1<<15) >> 16
		out[12+j] = (d*2217 - c*5352 + 1<<15) >> 16
	}
}

// idct4 adds the inverse DCT of the dequantised coefficients in (row-major)
// to the 4x4 prediction at pred (row stride ps) and writes the clamped
// result to dst (stride ds), exactly as RFC 6386 section 14.4 does.
func idct4(in *[16]int32, pred []uint8, ps int, dst []uint8, ds int) {
	// 20091/65536 is sqrt(2)*cos(pi/8)-1, 35468/65536 sqrt(2)*sin(pi/8).
	var t [16]int32
	for i := 0; i < 4; i++ {
		i0, i1, i2, i3 := in[i], in[4+i], in[8+i], in[12+i]
		a, b := i0+i2, i0-i2
		c := (i1 * 35468 >> 16) - (i3 + i3*20091>>16)
		d := (i1 + i1*20091>>16) + (i3 * 35468 >> 16)
		t[i], t[4+i], t[8+i], t[12+i] = a+d, b+c, b-c, a-d
	}
	for r := 0; r < 4; r++ {
		i0, i1, i2, i3 := t[r*4], t[r*4+1], t[r*4+2], t[r*4+3]
		a, b := i0+i2+4, i0-i2+4
		c := (i1 * 35468 >> 16) - (i3 + i3*20091>>16)
		d := (i1 + i1*20091>>16) + (i3 * 35468 >> 16)
		p, o := pred[r*ps:r*ps+4], dst[r*ds:r*ds+4]
		o[0] = clamp255(int32(p[0]) + (a+d)>>3)
		o[1] = clamp255(int32(p[1]) + (b+c)>>3)
		o[2] = clamp255(int32(p[2]) + (b-c)>>3)
		o[3] = clamp255(int32(p[3]) + (a-d)>>3)
	}
}

// idct4DC is idct4 for a block whose only nonzero coefficient is dc.
func idct4DC(dc int32, pred []uint8, ps int, dst []uint8, ds int) {
	dc = (dc + 4) >> 3
	for r := 0; r < 4; r++ {
		p, o := pred[r*ps:r*ps+4], dst[r*ds:r*ds+4]
		for c := range 4 {
			o[c] = clamp255(int32(p[c]) + dc)
		}
	}
}

// fwht4 is the forward Walsh-Hadamard transform of the 16 luma DC
// coefficients of a macroblock (row-major by block position), the inverse
// of iwht4.
func fwht4(in *[16]int32, out *[16]int32) {
	var t [16]int32
	for r := 0; r < 16; r += 4 {
		a, b := in[r]+in[r+3], in[r+1]+in[r+2]
		c, d := in[r+1]-in[r+2], in[r]-in[r+3]
		t[r], t[r+1], t[r+2], t[r+3] = a+b, c+d, a-b, d-c
	}
	for j := 0; j < 4; j++ {
		a, b := t[j]+t[12+j], t[4+j]+t[8+j]
		c, d := t[4+j]-t[8+j], t[j]-t[12+j]
		out[j] = (a + b + 1) >> 1
		out[4+j] = (c + d + 1) >> 1
		out[8+j] = (a - b + 1) >> 1
		out[12+j] = (d - c + 1) >> 1
	}
}

// iwht4 is the inverse Walsh-Hadamard transform of RFC 6386 section 14.3:
// it turns the dequantised Y2 block into the DC coefficients of the 16
// luma blocks.
func iwht4(in *[16]int32, out *[16]int32) {
	var t [16]int32
	for i := 0; i < 4; i++ {
		a, b := in[i]+in[12+i], in[4+i]+in[8+i]
		c, d := in[4+i]-in[8+i], in[i]-in[12+i]
		t[i], t[4+i], t[8+i], t[12+i] = a+b, c+d, a-b, d-c
	}
	for r := 0; r < 16; r += 4 {
		a, b := t[r]+t[r+3], t[r+1]+t[r+2]
		c, d := t[r+1]-t[r+2], t[r]-t[r+3]
		out[r] = (a + b + 3) >> 3
		out[r+1] = (c + d + 3) >> 3
		out[r+2] = (a - b + 3) >> 3
		out[r+3] = (d - c + 3) >> 3
	}
}

func clamp255(v int32) uint8 {
	return uint8(min(max(v, 0), 255))
}
