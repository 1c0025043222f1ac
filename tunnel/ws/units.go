package ws

import (
	"errors"
	"strconv"
)

// errRecount reports input that is not a sequence of whole instructions.
var errRecount = errors.New("ws: malformed instruction while re-counting lengths")

// hasAstral reports whether b may hold a character outside the Basic
// Multilingual Plane: only those are counted differently in code points and
// UTF-16 units (4-byte UTF-8 sequences start with 0xF0–0xF4).
func hasAstral(b []byte) bool {
	for _, c := range b {
		if c >= 0xF0 {
			return true
		}
	}
	return false
}

// recount appends src to dst with every element length rewritten from one
// unit to the other: from code points to UTF-16 units when toUTF16, else from
// UTF-16 units to code points. src must hold whole instructions; values are
// copied unchanged. A value that ends inside a surrogate pair (a UTF-16
// length splitting a 4-byte character) is malformed.
func recount(dst, src []byte, toUTF16 bool) ([]byte, error) {
	ended := true // src ends on an instruction boundary
	for i := 0; i < len(src); {
		// Length prefix.
		n, digits := 0, 0
		for i < len(src) && src[i] >= '0' && src[i] <= '9' {
			n = n*10 + int(src[i]-'0')
			i++
			digits++
			if digits > 5 {
				return dst, errRecount
			}
		}
		if digits == 0 || i >= len(src) || src[i] != '.' {
			return dst, errRecount
		}
		i++
		// Value: walk n source units, counting target units.
		start, out := i, 0
		for left := n; left > 0; {
			if i >= len(src) {
				return dst, errRecount
			}
			size := utf8Size(src[i])
			if i+size > len(src) {
				return dst, errRecount
			}
			units := 1
			if size == 4 {
				units = 2
			}
			srcUnits, dstUnits := 1, units // code points → UTF-16
			if !toUTF16 {
				srcUnits, dstUnits = units, 1
			}
			if srcUnits > left {
				return dst, errRecount
			}
			left -= srcUnits
			out += dstUnits
			i += size
		}
		if i >= len(src) || (src[i] != ',' && src[i] != ';') {
			return dst, errRecount
		}
		ended = src[i] == ';'
		dst = strconv.AppendInt(dst, int64(out), 10)
		dst = append(dst, '.')
		dst = append(dst, src[start:i+1]...)
		i++
	}
	if !ended {
		return dst, errRecount
	}
	return dst, nil
}

// utf8Size is the length of the UTF-8 sequence led by c, counting a stray
// continuation or invalid byte as one character, as guacd does.
func utf8Size(c byte) int {
	switch {
	case c < 0xC0:
		return 1
	case c < 0xE0:
		return 2
	case c < 0xF0:
		return 3
	case c < 0xF8:
		return 4
	}
	return 1
}
