package display

import (
	"encoding/binary"
	"math"
	"math/bits"
	"slices"
)

// deflater writes DEFLATE (RFC 1951) streams for PNG at the fastest level.
// Its whole state is a 64 KiB window, a 64 KiB hash table and a block's
// tokens, about 260 KiB, all reused: a general-purpose fast compressor
// keeps megabytes per instance (history, several hash tables, token and
// Huffman buffers), and every encoder worker holds one. Matching is
// greedy with one hash probe and backward extension, the way fast levels
// of zlib-compatible compressors work; each 32 KiB of input becomes one
// block, dynamic, fixed or stored, whichever is smallest.
type deflater struct {
	out   []byte
	acc   uint64 // pending output bits, LSB first
	nacc  uint
	win   []byte                  // history (up to dfWindow bytes), then pending input
	hist  int                     // length of the history prefix of win
	base  uint32                  // stream position of win[0]
	start uint32                  // stream position where the current stream began
	table [1 << dfHashBits]uint32 // per hash of 4 bytes: stream position + 1 where they were last seen
	toks  []uint32                // the pending block's tokens, see dfMatch

	litFreq  [dfLitCodes]int32
	distFreq [dfDistCodes]int32
	lit      dfCode
	dist     dfCode
	clen     dfCode
	clens    []uint16 // run-length coded code lengths: symbol | repeat bits<<5
	sc       dfScratch
	only     uint8 // for tests: the one block type to write; 0 for the smallest
}

// Block types, for deflater.only.
const (
	dfStored = iota + 1
	dfFixed
	dfDynamic
)

const (
	dfWindow   = 32 << 10 // the largest distance DEFLATE can express
	dfBlock    = 32 << 10 // input bytes per block
	dfHashBits = 14
	dfMinMatch = 4
	dfMaxMatch = 258

	dfLitCodes  = 286
	dfDistCodes = 30
	dfClenCodes = 19
)

// Token layout: a literal is its byte; a match has bit 31 set, its length
// in bits 15-23 and distance-1 in bits 0-14.
const dfMatch = 1 << 31

// dfCode is one Huffman code: lengths, and codes bit-reversed for an
// LSB-first bit stream. The fixed literal/length code has two more symbols
// than a block may use, which shift its 9-bit codes.
type dfCode struct {
	lens  [288]uint8
	codes [288]uint16
}

// dfScratch is the Huffman builder's working memory.
type dfScratch struct {
	sym   [dfLitCodes]uint16
	nodes [2 * dfLitCodes]int64 // frequencies: leaves, then internal nodes
	up    [2 * dfLitCodes]int16 // parent of each node
	depth [2 * dfLitCodes]uint8
}

var (
	dfLenBase   = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	dfLenExtra  = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	dfDistBase  = [30]uint16{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	dfDistExtra = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
	// Code length code lengths are sent in this order.
	dfClenOrder = [dfClenCodes]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

	dfLenCode   [256]uint8 // length-3 → length code - 257
	dfDistLo    [256]uint8 // distance-1 < 256 → distance code
	dfDistHi    [256]uint8 // (distance-1)>>7 → distance code, for distance-1 >= 256
	dfFixedLit  dfCode
	dfFixedDist dfCode
	// Repeat bits of code length codes 16, 17 and 18.
	dfClenExtra = [dfClenCodes]uint8{16: 2, 17: 3, 18: 7}
)

func init() {
	for c, b := range dfLenBase[:28] {
		for l := int(b); l < int(b)+1<<dfLenExtra[c]; l++ {
			dfLenCode[l-3] = uint8(c)
		}
	}
	dfLenCode[255] = 28
	for c, b := range dfDistBase {
		for d := int(b) - 1; d < int(b)-1+1<<dfDistExtra[c]; d++ {
			if d < 256 {
				dfDistLo[d] = uint8(c)
			} else {
				dfDistHi[d>>7] = uint8(c)
			}
		}
	}
	// The fixed code of RFC 1951 section 3.2.6.
	for s := range 288 {
		l := uint8(8)
		switch {
		case s >= 144 && s < 256:
			l = 9
		case s >= 256 && s < 280:
			l = 7
		}
		dfFixedLit.lens[s] = l
	}
	for s := range dfDistCodes {
		dfFixedDist.lens[s] = 5
	}
	dfFixedLit.assign(288)
	dfFixedDist.assign(dfDistCodes)
}

// reset starts a new stream appending to out.
func (d *deflater) reset(out []byte) {
	d.out, d.acc, d.nacc = out, 0, 0
	if d.win == nil {
		d.win = make([]byte, 0, dfWindow+dfBlock)
		d.toks = make([]uint32, 0, dfBlock)
		d.clens = make([]uint16, 0, dfLitCodes+dfDistCodes)
	}
	// Positions only grow, so that the hash table needs no clearing:
	// entries from earlier streams lie before start. Near the end of the
	// position space, start again from a clean table.
	pos := d.base + uint32(len(d.win))
	if pos > 1<<31 {
		clear(d.table[:])
		pos = 0
	}
	d.base, d.start = pos, pos
	d.win, d.hist = d.win[:0], 0
}

// write compresses p.
func (d *deflater) write(p []byte) {
	for len(p) > 0 {
		n := min(len(p), dfBlock-(len(d.win)-d.hist))
		d.win = append(d.win, p[:n]...)
		p = p[n:]
		if len(d.win)-d.hist == dfBlock {
			d.block(false)
		}
	}
}

// close ends the stream and returns the output.
func (d *deflater) close() []byte {
	d.block(true)
	return d.end()
}

// end writes the last partial byte and returns the output.
func (d *deflater) end() []byte {
	for range (d.nacc + 7) / 8 {
		d.out = append(d.out, byte(d.acc))
		d.acc >>= 8
	}
	d.acc, d.nacc = 0, 0
	out := d.out
	d.out = nil
	return out
}

// block compresses the pending input into one block, then keeps the last
// dfWindow bytes as history.
func (d *deflater) block(final bool) {
	d.tokenize()
	d.writeBlock(final, d.win[d.hist:])
	if n := len(d.win) - dfWindow; n > 0 {
		copy(d.win, d.win[n:])
		d.win = d.win[:dfWindow]
		d.base += uint32(n)
	}
	d.hist = len(d.win)
}

func dfHash(v uint32) uint32 { return v * 0x1e35a7bd >> (32 - dfHashBits) }

// tokenize turns the pending input into tokens and counts their symbols.
func (d *deflater) tokenize() {
	clear(d.litFreq[:])
	clear(d.distFreq[:])
	d.toks = d.toks[:0]
	src := d.win
	end := len(src)
	i, lit := d.hist, d.hist
	for i+dfMinMatch <= end {
		cv := binary.LittleEndian.Uint32(src[i:])
		h := dfHash(cv)
		pos := d.base + uint32(i)
		cand := d.table[h]
		d.table[h] = pos + 1
		// cand-1 is a position of this stream within the window: matches
		// never reach into an earlier image.
		if cand > d.start && pos-(cand-1) <= dfWindow {
			ci := int(cand - 1 - d.base)
			if binary.LittleEndian.Uint32(src[ci:]) == cv {
				n := dfMinMatch + matchLen(src[ci+dfMinMatch:], src[i+dfMinMatch:min(end, i+dfMaxMatch)])
				for n < dfMaxMatch && i > lit && ci > 0 && d.base+uint32(ci) > d.start && src[i-1] == src[ci-1] {
					i--
					ci--
					n++
				}
				d.literals(src[lit:i])
				d.match(n, i-ci)
				i += n
				lit = i
				// Index the match's last position too: runs and
				// repeats continue from there.
				if i+dfMinMatch <= end {
					j := i - 1
					d.table[dfHash(binary.LittleEndian.Uint32(src[j:]))] = d.base + uint32(j) + 1
				}
				continue
			}
		}
		// Step faster through data that does not compress.
		i += 1 + (i-lit)>>5
	}
	d.literals(src[lit:end])
}

// matchLen is the length of the common prefix of a and b, len(b) at most.
func matchLen(a, b []byte) int {
	n := 0
	for len(b)-n >= 8 && len(a)-n >= 8 {
		x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)/8
		}
		n += 8
	}
	for n < len(b) && n < len(a) && a[n] == b[n] {
		n++
	}
	return n
}

func (d *deflater) literals(p []byte) {
	// A block has no more tokens than input bytes, which toks has room for.
	n := len(d.toks)
	toks := d.toks[n : n+len(p)]
	for i, b := range p {
		toks[i] = uint32(b)
		d.litFreq[b]++
	}
	d.toks = d.toks[:n+len(p)]
}

func (d *deflater) match(length, dist int) {
	d.toks = append(d.toks, dfMatch|uint32(length)<<15|uint32(dist-1))
	d.litFreq[257+int(dfLenCode[length-3])]++
	d.distFreq[dfDistCode(dist-1)]++
}

func dfDistCode(d int) int {
	if d < 256 {
		return int(dfDistLo[d])
	}
	return int(dfDistHi[d>>7])
}

// put appends the n low bits of v (n <= 32).
func (d *deflater) put(v uint32, n uint) {
	d.acc |= uint64(v) << d.nacc
	d.nacc += n
	if d.nacc >= 32 {
		d.out = binary.LittleEndian.AppendUint32(d.out, uint32(d.acc))
		d.acc >>= 32
		d.nacc -= 32
	}
}

// writeBlock writes the tokens of data as the smallest of a dynamic, a
// fixed and a stored block.
func (d *deflater) writeBlock(final bool, data []byte) {
	d.litFreq[256]++ // end of block
	// Extra bits cost the same in the dynamic and fixed codes.
	extra := 0
	for c := range 29 {
		extra += int(d.litFreq[257+c]) * int(dfLenExtra[c])
	}
	for c := range dfDistCodes {
		extra += int(d.distFreq[c]) * int(dfDistExtra[c])
	}
	fixed := 3 + extra + d.cost(&dfFixedLit, &dfFixedDist)
	d.lit.build(d.litFreq[:], 15, &d.sc)
	d.dist.build(d.distFreq[:], 15, &d.sc)
	nlit, ndist, nclen := d.codeLengths()
	dynamic := 3 + 14 + 3*nclen + extra + d.cost(&d.lit, &d.dist)
	for _, c := range d.clens {
		dynamic += int(d.clen.lens[c&31]) + int(dfClenExtra[c&31])
	}
	stored := -1
	if len(data) <= 0xffff {
		stored = 3 + (8-int(d.nacc+3)%8)%8 + 32 + 8*len(data)
	}
	f := uint32(0)
	if final {
		f = 1
	}
	switch d.only {
	case dfStored:
		fixed, dynamic = math.MaxInt, math.MaxInt
	case dfFixed:
		stored, dynamic = -1, math.MaxInt
	case dfDynamic:
		stored, fixed = -1, math.MaxInt
	}
	switch {
	case stored >= 0 && stored <= dynamic && stored <= fixed:
		d.put(f, 3) // BTYPE 00
		if d.nacc%8 != 0 {
			d.put(0, 8-d.nacc%8)
		}
		for d.nacc > 0 {
			d.out = append(d.out, byte(d.acc))
			d.acc >>= 8
			d.nacc -= 8
		}
		d.out = binary.LittleEndian.AppendUint16(d.out, uint16(len(data)))
		d.out = binary.LittleEndian.AppendUint16(d.out, ^uint16(len(data)))
		d.out = append(d.out, data...)
	case fixed <= dynamic:
		d.put(f|1<<1, 3)
		d.writeTokens(&dfFixedLit, &dfFixedDist)
	default:
		d.put(f|2<<1, 3)
		d.put(uint32(nlit-257), 5)
		d.put(uint32(ndist-1), 5)
		d.put(uint32(nclen-4), 4)
		for _, s := range dfClenOrder[:nclen] {
			d.put(uint32(d.clen.lens[s]), 3)
		}
		for _, c := range d.clens {
			s := c & 31
			d.put(uint32(d.clen.codes[s]), uint(d.clen.lens[s]))
			d.put(uint32(c>>5), uint(dfClenExtra[s]))
		}
		d.writeTokens(&d.lit, &d.dist)
	}
}

// cost is the bits of the current tokens' codes under lit and dist,
// extra bits excluded.
func (d *deflater) cost(lit, dist *dfCode) int {
	n := 0
	for s, f := range d.litFreq {
		n += int(f) * int(lit.lens[s])
	}
	for s, f := range d.distFreq {
		n += int(f) * int(dist.lens[s])
	}
	return n
}

// codeLengths run-length codes the literal/length and distance code
// lengths into d.clens, builds the code length code, and returns the
// counts of literal/length, distance and code length code lengths sent.
func (d *deflater) codeLengths() (nlit, ndist, nclen int) {
	nlit, ndist = dfLitCodes, dfDistCodes
	for nlit > 257 && d.lit.lens[nlit-1] == 0 {
		nlit--
	}
	for ndist > 1 && d.dist.lens[ndist-1] == 0 {
		ndist--
	}
	// Both sequences run together: a repeat may cross from one to the other.
	var all [dfLitCodes + dfDistCodes]uint8
	n := copy(all[:], d.lit.lens[:nlit])
	n += copy(all[n:], d.dist.lens[:ndist])
	lens := all[:n]
	d.clens = d.clens[:0]
	var freq [dfClenCodes]int32
	for i := 0; i < len(lens); {
		l := lens[i]
		run := 1
		for i+run < len(lens) && lens[i+run] == l {
			run++
		}
		i += run
		if l == 0 {
			for run >= 11 {
				r := min(run, 138)
				d.clens = append(d.clens, 18|uint16(r-11)<<5)
				freq[18]++
				run -= r
			}
			if run >= 3 {
				d.clens = append(d.clens, 17|uint16(run-3)<<5)
				freq[17]++
				run = 0
			}
		} else {
			d.clens = append(d.clens, uint16(l))
			freq[l]++
			run--
			for run >= 3 {
				r := min(run, 6)
				d.clens = append(d.clens, 16|uint16(r-3)<<5)
				freq[16]++
				run -= r
			}
		}
		for range run {
			d.clens = append(d.clens, uint16(l))
			freq[l]++
		}
	}
	d.clen.build(freq[:], 7, &d.sc)
	nclen = dfClenCodes
	for nclen > 4 && d.clen.lens[dfClenOrder[nclen-1]] == 0 {
		nclen--
	}
	return nlit, ndist, nclen
}

// writeTokens writes the block's tokens and its end with lit and dist.
// The bit writer's state lives in locals: this loop runs per token.
func (d *deflater) writeTokens(lit, dist *dfCode) {
	out, acc, n := d.out, d.acc, d.nacc
	for _, t := range d.toks {
		if t&dfMatch == 0 {
			acc |= uint64(lit.codes[t&0xff]) << n
			n += uint(lit.lens[t&0xff])
		} else {
			length, dd := int(t>>15&0x1ff), int(t&0x7fff)
			lc := int(dfLenCode[(length-3)&0xff])
			ls := (257 + lc) & 0x1ff
			acc |= uint64(uint32(lit.codes[ls])|uint32(length-int(dfLenBase[lc]))<<lit.lens[ls]) << n
			n += uint(lit.lens[ls]) + uint(dfLenExtra[lc])
			dc := dfDistCode(dd)
			acc |= uint64(uint32(dist.codes[dc])|uint32(dd+1-int(dfDistBase[dc]))<<dist.lens[dc]) << n
			n += uint(dist.lens[dc]) + uint(dfDistExtra[dc])
		}
		// A token is at most 48 bits: keep fewer than 16 pending.
		if n >= 32 {
			out = binary.LittleEndian.AppendUint32(out, uint32(acc))
			acc >>= 32
			n -= 32
		}
		if n >= 16 {
			out = binary.LittleEndian.AppendUint16(out, uint16(acc))
			acc >>= 16
			n -= 16
		}
	}
	d.out, d.acc, d.nacc = out, acc, n
	d.put(uint32(lit.codes[256]), uint(lit.lens[256]))
}

// build sets code lengths of at most maxBits for the symbols of freq
// (the rest get 0) and assigns the codes. Every code it builds is
// complete, as inflaters require: a lone symbol gets a partner.
func (c *dfCode) build(freq []int32, maxBits int, sc *dfScratch) {
	n := len(freq)
	clear(c.lens[:n])
	syms := sc.sym[:0]
	for s, f := range freq {
		if f > 0 {
			syms = append(syms, uint16(s))
		}
	}
	for s := 0; len(syms) < 2; s++ {
		if freq[s] == 0 {
			syms = append(syms, uint16(s))
		}
	}
	weight := func(s uint16) int64 { return max(int64(freq[s]), 1) }
	// Ascending frequency; ties by symbol, for deterministic output.
	slices.SortFunc(syms, func(a, b uint16) int {
		if wa, wb := weight(a), weight(b); wa != wb {
			return int(wa - wb)
		}
		return int(a) - int(b)
	})
	// Two-queue Huffman over the sorted leaves: internal nodes are made
	// in increasing weight order, so the smallest two are always at the
	// heads of the two queues.
	nl := len(syms)
	w, up := sc.nodes[:], sc.up[:]
	for i, s := range syms {
		w[i] = weight(s)
	}
	li, qi, nn := 0, nl, nl
	pick := func() int {
		if li < nl && (qi >= nn || w[li] <= w[qi]) {
			li++
			return li - 1
		}
		qi++
		return qi - 1
	}
	for nn < 2*nl-1 {
		a, b := pick(), pick()
		w[nn] = w[a] + w[b]
		up[a], up[b] = int16(nn), int16(nn)
		nn++
	}
	// Depths from the root down: parents come after their children.
	var count [32]int
	d := &sc.depth
	d[nn-1] = 0
	for i := nn - 2; i >= 0; i-- {
		d[i] = d[up[i]] + 1
	}
	for i := range nl {
		count[min(int(d[i]), 31)]++
	}
	limitLengths(count[:], maxBits)
	// The most frequent symbols (the end of syms) get the shortest codes.
	k := nl - 1
	for l := 1; l <= maxBits; l++ {
		for range count[l] {
			c.lens[syms[k]] = uint8(l)
			k--
		}
	}
	c.assign(n)
}

// assign gives canonical codes (RFC 1951 section 3.2.2) to the first n
// symbols' lengths, bit-reversed for the LSB-first stream.
func (c *dfCode) assign(n int) {
	var count [16]uint16
	for _, l := range c.lens[:n] {
		count[l]++
	}
	count[0] = 0
	var next [16]uint16
	code := uint16(0)
	for l := 1; l < 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	for s, l := range c.lens[:n] {
		if l == 0 {
			continue
		}
		c.codes[s] = bits.Reverse16(next[l]) >> (16 - l)
		next[l]++
	}
}

// limitLengths rewrites count, the number of Huffman codes of each length,
// so that none is longer than maxBits while the code stays complete (ITU-T
// T.81 Annex K.3, Figure K.3): a pair of the longest codes moves up, one
// taking its parent's place and the other becoming the sibling of a
// shorter code, which moves down.
func limitLengths(count []int, maxBits int) {
	for i := len(count) - 1; i > maxBits; i-- {
		for count[i] > 0 {
			j := i - 2
			for count[j] == 0 {
				j--
			}
			count[i] -= 2
			count[i-1]++
			count[j+1] += 2
			count[j]--
		}
	}
}
