package display

import "math/bits"

// macroblock predicts, transforms, quantises and reconstructs macroblock
// mbx of the current row, and codes its tokens.
func (e *webpEncoder) macroblock(mbx, mby int) {
	ys, cs := 16*e.mbw, 8*e.mbw
	hasAbove, hasLeft := mby > 0, mbx > 0
	x0 := 16 * mbx
	src := e.y[x0:]

	// Luma mode: the candidate closest to the source.
	var left [16]uint8
	var corner uint8
	if hasLeft {
		for r := range 16 {
			left[r] = e.y[r*ys+x0-1]
		}
		if hasAbove {
			corner = e.topY[x0-1]
		}
	}
	above := e.topY[x0 : x0+16]
	var costs, uvCosts [4]int
	modeSADs(&costs, src, ys, 16, above, left[:], corner, hasAbove, hasLeft)
	ymode := bestMode(&costs, hasAbove, hasLeft)
	predict(e.predY[:], 16, ymode, above, left[:], corner, hasAbove, hasLeft)

	// Chroma mode, one for both planes.
	c0 := 8 * mbx
	planes := [2][]uint8{e.u, e.v}
	tops := [2][]uint8{e.topU[c0 : c0+8], e.topV[c0 : c0+8]}
	var leftUV [2][8]uint8
	var cornerUV [2]uint8
	if hasLeft {
		for p, pl := range planes {
			for r := range 8 {
				leftUV[p][r] = pl[r*cs+c0-1]
			}
			if hasAbove {
				cornerUV[p] = [2][]uint8{e.topU, e.topV}[p][c0-1]
			}
		}
	}
	for p := range 2 {
		var c [4]int
		modeSADs(&c, planes[p][c0:], cs, 8, tops[p], leftUV[p][:], cornerUV[p], hasAbove, hasLeft)
		for m := range c {
			uvCosts[m] += c[m]
		}
	}
	uvmode := bestMode(&uvCosts, hasAbove, hasLeft)
	for p := range 2 {
		predict(e.predUV[p][:], 8, uvmode, tops[p], leftUV[p][:], cornerUV[p], hasAbove, hasLeft)
	}

	// Luma: 16 blocks whose DCs go through Y2.
	var res, coef, dcs, dcOut [16]int32
	coded := false
	for b := range 16 {
		bx, by := b&3*4, b>>2*4
		residual(&res, src[by*ys+bx:], ys, e.predY[by*16+bx:], 16)
		fdct4(&res, &coef)
		dcs[b] = coef[0]
		coded = e.quantize(b, &coef, typeYAfterY2, 1) || coded
	}
	fwht4(&dcs, &coef)
	coded = e.quantize(16, &coef, typeY2, 0) || coded
	iwht4(&e.deq[16], &dcOut)
	for b := range 16 {
		bx, by := b&3*4, b>>2*4
		p, d := e.predY[by*16+bx:], src[by*ys+bx:]
		if e.last[b] < 0 {
			idct4DC(dcOut[b], p, 16, d, ys)
		} else {
			e.deq[b][0] = dcOut[b]
			idct4(&e.deq[b], p, 16, d, ys)
		}
	}

	// Chroma: 4 blocks per plane.
	for p, pl := range planes {
		for k := range 4 {
			b := 17 + 4*p + k
			bx, by := k&1*4, k>>1*4
			d, pr := pl[by*cs+c0+bx:], e.predUV[p][by*8+bx:]
			residual(&res, d, cs, pr, 8)
			fdct4(&res, &coef)
			coded = e.quantize(b, &coef, typeChroma, 0) || coded
			if e.last[b] <= 0 {
				idct4DC(e.deq[b][0], pr, 8, d, cs)
			} else {
				idct4(&e.deq[b], pr, 8, d, cs)
			}
		}
	}

	mode := uint8(ymode | uvmode<<2)
	t, l := &e.topNZ[mbx], &e.leftNZ
	if !coded {
		// A skipped macroblock leaves its neighbours the context of
		// all-zero blocks.
		*t, *l = vp8NZ{}, vp8NZ{}
		e.modes[mby*e.mbw+mbx] = mode | 1<<4
		return
	}
	e.modes[mby*e.mbw+mbx] = mode
	nz := e.putBlock(typeY2, t[8]+l[8], 16, 0)
	t[8], l[8] = nz, nz
	for b := range 16 {
		bx, by := b&3, b>>2
		nz := e.putBlock(typeYAfterY2, t[bx]+l[by], b, 1)
		t[bx], l[by] = nz, nz
	}
	for b := 17; b < 25; b++ {
		i := 4 + 2*((b-17)>>2) // context slots of the plane
		bx, by := (b-17)&1, (b-17)>>1&1
		nz := e.putBlock(typeChroma, t[i+bx]+l[i+by], b, 0)
		t[i+bx], l[i+by] = nz, nz
	}
}

// modeAvailable reports whether mode m predicts from real pixels only.
// The decoder substitutes 127 above and 129 left of the picture; modes
// other than DC would predict from those constants, which suits no
// picture, so they are not tried at the edges.
func modeAvailable(m int, hasAbove, hasLeft bool) bool {
	switch m {
	case predV:
		return hasAbove
	case predH:
		return hasLeft
	case predTM:
		return hasAbove && hasLeft
	}
	return true
}

// dcValue is the DC prediction of an n x n block: the mean of the edges
// that exist, 128 if none does.
func dcValue(n int, above, left []uint8, hasAbove, hasLeft bool) uint8 {
	sum, shift := 0, 3
	if n == 16 {
		shift = 4
	}
	switch {
	case hasAbove && hasLeft:
		for i := range n {
			sum += int(above[i]) + int(left[i])
		}
		return uint8((sum + n) >> (shift + 1))
	case hasAbove:
		for i := range n {
			sum += int(above[i])
		}
	case hasLeft:
		for i := range n {
			sum += int(left[i])
		}
	default:
		return 128
	}
	return uint8((sum + n/2) >> shift)
}

// predict fills out (n x n, stride n) with the prediction of mode m from
// the reconstructed row above, column left and the pixel above-left.
func predict(out []uint8, n, m int, above, left []uint8, corner uint8, hasAbove, hasLeft bool) {
	out = out[:n*n]
	switch m {
	case predDC:
		dc := dcValue(n, above, left, hasAbove, hasLeft)
		for i := range out {
			out[i] = dc
		}
	case predV:
		for r := range n {
			copy(out[r*n:], above[:n])
		}
	case predH:
		for r := range n {
			row := out[r*n : r*n+n]
			for i := range row {
				row[i] = left[r]
			}
		}
	case predTM:
		for r := range n {
			row := out[r*n : r*n+n]
			d := int32(left[r]) - int32(corner)
			for i := range row {
				row[i] = clamp255(int32(above[i]) + d)
			}
		}
	}
}

// modeSADs sets costs to the sum of absolute differences between the n x
// n source block at src (stride ss) and each mode's prediction, computed
// in one pass without building the predictions. Costs of modes that are
// not available are meaningless.
func modeSADs(costs *[4]int, src []uint8, ss, n int, above, left []uint8, corner uint8, hasAbove, hasLeft bool) {
	d0 := int(dcValue(n, above, left, hasAbove, hasLeft))
	var s0, s1, s2, s3 int
	above = above[:n]
	for r := range n {
		row := src[r*ss:][:n]
		l := int(left[r])
		tm := l - int(corner)
		for i, v := range row {
			a := int(above[i])
			x := int(v)
			s0 += absInt(x - d0)
			s1 += absInt(x - a)
			s2 += absInt(x - l)
			s3 += absInt(x - min(max(a+tm, 0), 255))
		}
	}
	*costs = [4]int{s0, s1, s2, s3}
}

func absInt(x int) int { return max(x, -x) }

// bestMode is the available mode of least cost, DC on ties.
func bestMode(costs *[4]int, hasAbove, hasLeft bool) int {
	best := predDC
	for m := predV; m <= predTM; m++ {
		if modeAvailable(m, hasAbove, hasLeft) && costs[m] < costs[best] {
			best = m
		}
	}
	return best
}

// residual is the 4x4 source block minus its prediction.
func residual(out *[16]int32, src []uint8, ss int, pred []uint8, ps int) {
	for r := range 4 {
		s, p := src[r*ss:r*ss+4], pred[r*ps:r*ps+4]
		for c := range 4 {
			out[r*4+c] = int32(s[c]) - int32(p[c])
		}
	}
}

// quantize quantises coefficients first..15 (natural order) of block b
// with the quantiser of block type typ into e.levels[b] (zigzag order)
// and e.deq[b] (dequantised, natural order), and reports whether any
// level is nonzero.
func (e *webpEncoder) quantize(b int, coef *[16]int32, typ, first int) bool {
	q := &e.quant[typ]
	lv, dq := &e.levels[b], &e.deq[b]
	lv[0], dq[0] = 0, 0
	var nonzero uint32
	for zz := first; zz < 16; zz++ {
		// Branch-free: at high quality about half the levels are zero,
		// in no predictable pattern.
		zz := zz & 15
		n := vp8Zigzag[zz] & 15
		c := coef[n]
		sign := c >> 31
		a := uint32((c ^ sign) - sign)
		l := int32(min((a*q.iq[zz]+q.bias[zz])>>17, maxLevel))
		lv[zz] = int16((l ^ sign) - sign)
		dq[n] = (l*q.q[zz] ^ sign) - sign
		nonzero |= uint32(-l) >> 31 << zz
	}
	e.last[b] = int8(31 - bits.LeadingZeros32(nonzero))
	return nonzero != 0
}

// putBlock codes the tokens of block b (RFC 6386 section 13) starting at
// position first, with ctx the number of neighbours above and left that
// had nonzero coefficients, and returns 1 if it had any itself.
func (e *webpEncoder) putBlock(typ int, ctx uint8, b int, first int) uint8 {
	w := &e.tok
	lv := &e.levels[b]
	last := int(e.last[b])
	probs := func(n int, ctx uint8) *[11]uint8 {
		i := ((typ*8+int(vp8Bands[n]))*3 + int(ctx)) * 11
		return (*[11]uint8)(vp8CoeffProbs[i : i+11])
	}
	p := probs(first, ctx)
	w.room()
	if last < first {
		w.put(p[0], false) // end of block
		return 0
	}
	afterZero := false
	n := first
	for ; n <= last; n++ {
		w.room() // for at most 4 puts, or 3 and putLarge
		if !afterZero {
			w.put(p[0], true) // not the end: no end can follow a zero
		}
		v := lv[n]
		if v == 0 {
			w.put(p[1], false)
			afterZero = true
			p = probs(n+1, 0)
			continue
		}
		afterZero = false
		w.put(p[1], true)
		a := uint32(max(v, -v))
		if a == 1 {
			w.put(p[2], false)
			w.put(128, v < 0)
			p = probs(n+1, 1)
			continue
		}
		w.put(p[2], true)
		putLarge(w, p, a)
		w.room()
		w.put(128, v < 0)
		p = probs(n+1, 2)
	}
	if n < 16 {
		w.room()
		w.put(p[0], false)
	}
	return 1
}

// putLarge codes a magnitude of 2 or more along the token tree.
func putLarge(w *boolEncoder, p *[11]uint8, a uint32) {
	w.room() // for the at most 5 puts before the extra bits
	switch {
	case a <= 4:
		w.put(p[3], false)
		if a == 2 {
			w.put(p[4], false)
			return
		}
		w.put(p[4], true)
		w.put(p[5], a == 4)
	case a <= 10:
		w.put(p[3], true)
		w.put(p[6], false)
		if a <= 6 {
			w.put(p[7], false)
			w.put(159, a == 6)
			return
		}
		w.put(p[7], true)
		w.put(165, (a-7)>>1 == 1)
		w.put(145, (a-7)&1 == 1)
	default:
		w.put(p[3], true)
		w.put(p[6], true)
		cat := 0 // categories 3..6 start at 11, 19, 35, 67
		for cat < 3 && a >= 3+8<<(cat+1) {
			cat++
		}
		w.put(p[8], cat >= 2)
		w.put(p[9+cat>>1], cat&1 == 1)
		extra := a - (3 + 8<<cat)
		cp := vp8CatProbs[cat]
		for i, pr := range cp {
			w.room()
			w.put(pr, extra>>(len(cp)-1-i)&1 == 1)
		}
	}
}
