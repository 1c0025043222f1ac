package protocol

import (
	"errors"
	"strconv"
)

// Sentinel errors. A *ParseError wraps exactly one of them, so callers test
// with errors.Is.
var (
	// ErrIncomplete means the input ends inside an instruction: feed more
	// bytes and call again. Parser.Next returns it bare (never wrapped) so
	// that the common "need more data" path does not allocate.
	ErrIncomplete = errors.New("protocol: incomplete instruction")
	// ErrMalformed means the input is not Guacamole syntax: a non-digit where
	// a length is expected, a missing '.', or a wrong terminator.
	ErrMalformed = errors.New("protocol: malformed instruction")
	// ErrElementTooLong means a length prefix declares more than
	// MaxElementLength code points or has more than five digits.
	ErrElementTooLong = errors.New("protocol: element too long")
	// ErrTooManyElements means an instruction has more than MaxElements
	// elements, opcode included.
	ErrTooManyElements = errors.New("protocol: too many elements")
	// ErrInstructionTooLong means an instruction cannot fit in the maximum
	// instruction size.
	ErrInstructionTooLong = errors.New("protocol: instruction too long")
)

// snippetRadius is how many bytes either side of the offending offset a
// ParseError quotes; 2*16 keeps Snippet within the documented 32 bytes.
const snippetRadius = 16

// ParseError describes where parsing failed.
type ParseError struct {
	// Err is one of the sentinel errors above.
	Err error
	// Offset is the byte offset of the offending byte: relative to the start
	// of the instruction for Parser, relative to the start of the stream for
	// Reader.
	Offset int
	// Snippet is a %q-quoted excerpt of at most 32 input bytes around Offset,
	// safe to log.
	Snippet string
}

func newParseError(err error, b []byte, off int) *ParseError {
	lo := max(off-snippetRadius, 0)
	hi := min(off+snippetRadius, len(b))
	lo = min(lo, hi)
	return &ParseError{Err: err, Offset: off, Snippet: strconv.Quote(string(b[lo:hi]))}
}

// Error implements error.
func (e *ParseError) Error() string {
	return e.Err.Error() + " at offset " + strconv.Itoa(e.Offset) + " near " + e.Snippet
}

// Unwrap returns the sentinel error.
func (e *ParseError) Unwrap() error { return e.Err }
