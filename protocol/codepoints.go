package protocol

import "math/bits"

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

// load64 reads 8 bytes little-endian; written byte by byte so the compiler
// fuses it into one load for both strings and byte slices.
func load64[T ~string | ~[]byte](s T, i int) uint64 {
	_ = s[i+7] // one bounds check instead of eight
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// asciiPrefix returns how many leading bytes of s are ASCII. It tests 32
// bytes per iteration because base64 image data, which is most of a real
// stream, is long runs of ASCII.
func asciiPrefix[T ~string | ~[]byte](s T) int {
	i := 0
	for ; i+32 <= len(s); i += 32 {
		if (load64(s, i)|load64(s, i+8)|load64(s, i+16)|load64(s, i+24))&hiBits != 0 {
			break
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if w := load64(s, i) & hiBits; w != 0 {
			return i + bits.TrailingZeros64(w)/8
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return i
		}
	}
	return i
}

func codePoints[T ~string | ~[]byte](s T) int {
	n := 0
	for i := 0; i < len(s); {
		k := asciiPrefix(s[i:])
		n += k
		i += k
		if i >= len(s) {
			break
		}
		// A character truncated by the end of s still counts once, as in
		// guacd's guac_utf8_strlen.
		i += charSize(s[i])
		n++
	}
	return n
}

// CodePoints returns the number of characters in b exactly as guacd counts
// them for element lengths: by the UTF-8 lead-byte rule, where a 4-byte
// character counts 1 (not 2 as in UTF-16) and a stray continuation byte or an
// invalid lead byte counts 1. For valid UTF-8 it equals
// utf8.RuneCount.
func CodePoints(b []byte) int { return codePoints(b) }

// CodePointsString is CodePoints for a string.
func CodePointsString(s string) int { return codePoints(s) }
