package protocol

import (
	"encoding/binary"
	"math/bits"
)

// hiBits selects the top bit of every byte of a little-endian word: a word
// AND hiBits is zero exactly when its eight bytes are all ASCII.
const hiBits = 0x8080808080808080

// charSize is guacd's guac_utf8_charsize: the byte length of the character
// that starts with lead byte c. Continuation bytes and invalid lead bytes
// count as 1-byte characters, so any byte sequence can be walked.
func charSize(c byte) int {
	switch {
	case c < 0x80:
		return 1
	case c&0xE0 == 0xC0:
		return 2
	case c&0xF0 == 0xE0:
		return 3
	case c&0xF8 == 0xF0:
		return 4
	}
	return 1
}

// asciiPrefix returns how many leading bytes of b are ASCII. It tests 64
// bytes per iteration because base64 image data, which is most of a real
// stream, is long runs of ASCII. Re-slicing b (rather than indexing with a
// counter) lets the compiler drop every bounds check in the loops.
func asciiPrefix(b []byte) int {
	n := len(b)
	for len(b) >= 64 {
		w := binary.LittleEndian.Uint64(b) | binary.LittleEndian.Uint64(b[8:]) |
			binary.LittleEndian.Uint64(b[16:]) | binary.LittleEndian.Uint64(b[24:]) |
			binary.LittleEndian.Uint64(b[32:]) | binary.LittleEndian.Uint64(b[40:]) |
			binary.LittleEndian.Uint64(b[48:]) | binary.LittleEndian.Uint64(b[56:])
		if w&hiBits != 0 {
			break
		}
		b = b[64:]
	}
	for len(b) >= 8 {
		if w := binary.LittleEndian.Uint64(b) & hiBits; w != 0 {
			return n - len(b) + bits.TrailingZeros64(w)/8
		}
		b = b[8:]
	}
	for i, c := range b {
		if c >= 0x80 {
			return n - len(b) + i
		}
	}
	return n
}

// CodePoints returns the number of characters in b exactly as guacd counts
// them for element lengths: by the UTF-8 lead-byte rule, where a 4-byte
// character counts 1 (not 2 as in UTF-16) and a stray continuation byte or an
// invalid lead byte counts 1. For valid UTF-8 it equals utf8.RuneCount.
func CodePoints(b []byte) int {
	n := 0
	for i := 0; i < len(b); n++ {
		c := b[i]
		if c < 0x80 {
			if len(b)-i >= asciiRunMin {
				// k ≥ 1 because b[i] is ASCII; the loop's n++ counts one.
				k := asciiPrefix(b[i:])
				n += k - 1
				i += k
				continue
			}
			i++
			continue
		}
		// A character truncated by the end of b still counts once, as in
		// guacd's guac_utf8_strlen.
		i += charSize(c)
	}
	return n
}

// CodePointsString is CodePoints for a string. Strings passed to the
// encoders are short (names, mimetypes), so it walks byte by byte.
func CodePointsString(s string) int {
	n := 0
	for i := 0; i < len(s); i += charSize(s[i]) {
		n++
	}
	return n
}
