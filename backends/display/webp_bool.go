package display

import "math/bits"

// boolEncoder is the boolean entropy encoder of VP8 (RFC 6386 section 7):
// a binary arithmetic coder whose probabilities are 8-bit "chance of a
// zero" values.
//
// low is the bottom of the current interval, whose width rng (128..255
// after normalisation) occupies bits 0-7; the pending bits above them,
// not yet written out, number n. A carry out of the pending bits reaches
// bytes already written, so it is added to buf when the next byte is.
//
// put does not write bytes, so that it inlines in the token loops: callers
// call room at most every 6 puts. Each put adds at most 7 pending bits,
// so n stays below 8+6*7 = 50 and low, with its window and a carry bit,
// fits in 64 bits. putChecked does both, for cold paths.
type boolEncoder struct {
	buf []byte
	low uint64
	rng uint32
	n   uint
}

// maxPutsPerRoom is how many puts may follow a call to room.
const maxPutsPerRoom = 6

func (e *boolEncoder) reset(buf []byte) {
	*e = boolEncoder{buf: buf[:0], rng: 255}
}

// put codes bit with probability prob/256 of it being false.
func (e *boolEncoder) put(prob uint8, bit bool) {
	split := 1 + (e.rng-1)*uint32(prob)>>8
	if bit {
		e.low += uint64(split)
		split = e.rng - split
	}
	// Renormalise: double the range until it is 128 or more (no shift
	// if it already is).
	s := uint(bits.LeadingZeros32(split)) - 24 // split is 1..255
	e.rng = split << s
	e.low <<= s
	e.n += s
}

// room writes out the completed bytes, making room for maxPutsPerRoom
// more puts.
func (e *boolEncoder) room() {
	if e.n >= 8 {
		e.flush()
	}
}

// flush writes out the completed bytes. Not inlining it keeps room
// small enough to inline.
//
//go:noinline
func (e *boolEncoder) flush() {
	for e.n >= 8 {
		e.emit()
	}
}

// putChecked is put for paths that do not count their puts.
func (e *boolEncoder) putChecked(prob uint8, bit bool) {
	e.room()
	e.put(prob, bit)
}

// emit writes the oldest 8 pending bits, propagating a carry.
func (e *boolEncoder) emit() {
	e.n -= 8
	v := e.low >> (e.n + 8)
	if v > 0xff {
		e.carry()
	}
	e.buf = append(e.buf, byte(v))
	e.low &= 1<<(e.n+8) - 1
}

// carry adds one to the bytes written so far.
func (e *boolEncoder) carry() {
	for i := len(e.buf) - 1; i >= 0; i-- {
		e.buf[i]++
		if e.buf[i] != 0 {
			return
		}
	}
}

// putUint codes the n low bits of v, most significant first, each with
// even odds (the spec's L(n)).
func (e *boolEncoder) putUint(v uint32, n int) {
	for i := n - 1; i >= 0; i-- {
		e.putChecked(128, v>>i&1 == 1)
	}
}

// finish writes out the interval and returns the coded bytes. Decoders
// read ahead of the symbol they decode, and libwebp reports a truncated
// stream if it must read past the end while decoding, so 32 more even
// bits pad the end, as the reference encoder does.
func (e *boolEncoder) finish() []byte {
	for range 32 {
		e.putChecked(128, false)
	}
	// Write low itself, window included, rounded up to whole bytes: the
	// decoder then sees a value inside the final interval.
	e.flush()
	pad := (8-e.n%8)%8 + 8
	e.low <<= pad
	e.n += pad
	e.flush()
	return e.buf
}
