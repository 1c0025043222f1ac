package protocol

import (
	"errors"
	"math/bits"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir holds real guacd 1.6.0 output (see its README.md).
const corpusDir = "/work/shared/corpus"

func loadCorpus(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		tb.Fatalf("corpus %s is required for this test: %v", name, err)
	}
	return b
}

// refCharSize is a deliberately different formulation of guacd's
// guac_utf8_charsize: the number of leading one bits of the lead byte.
func refCharSize(c byte) int {
	switch n := bits.LeadingZeros8(^c); n {
	case 0:
		return 1
	case 2, 3, 4:
		return n
	}
	return 1
}

func refCodePoints(b []byte) int {
	n := 0
	for i := 0; i < len(b); i += refCharSize(b[i]) {
		n++
	}
	return n
}

// refParse is a deliberately simple, non-resumable reference parser: it walks
// b one character at a time and materialises the elements. It defines the
// expected behaviour, including which error wins and when a short input is
// "incomplete" rather than "too long": a byte needed at index j ≥ len(b) is
// incomplete while len(b) < limit, too long once len(b) ≥ limit.
func refParse(b []byte, limit int) (elems [][]byte, n int, err error) {
	end := min(len(b), limit)
	short := func() error {
		if len(b) >= limit {
			return ErrInstructionTooLong
		}
		return ErrIncomplete
	}
	i := 0
	for {
		length, digits := 0, 0
		for {
			if i >= end {
				return nil, 0, short()
			}
			c := b[i]
			if c >= '0' && c <= '9' {
				digits++
				length = length*10 + int(c-'0')
				if digits > 5 || length > MaxElementLength {
					return nil, 0, ErrElementTooLong
				}
				i++
				continue
			}
			if c == '.' && digits > 0 {
				i++
				break
			}
			return nil, 0, ErrMalformed
		}
		if i+length+1 > limit {
			return nil, 0, ErrInstructionTooLong
		}
		start := i
		for range length {
			if i >= end {
				return nil, 0, short()
			}
			sz := refCharSize(b[i])
			if i+sz > end {
				return nil, 0, short()
			}
			i += sz
		}
		elems = append(elems, b[start:i])
		if i >= end {
			return nil, 0, short()
		}
		switch b[i] {
		case ';':
			return elems, i + 1, nil
		case ',':
			if len(elems) == MaxElements {
				return nil, 0, ErrTooManyElements
			}
			i++
		default:
			return nil, 0, ErrMalformed
		}
	}
}

// sentinel reduces a parse error to the sentinel it wraps.
func sentinel(err error) error {
	for _, s := range []error{ErrIncomplete, ErrMalformed, ErrElementTooLong, ErrTooManyElements, ErrInstructionTooLong} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}

func elements(ins Instruction) [][]byte {
	return append([][]byte{ins.Opcode}, ins.Args...)
}

func equalElems(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if string(a[i]) != string(b[i]) {
			return false
		}
	}
	return true
}
