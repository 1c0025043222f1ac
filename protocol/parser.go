package protocol

// Limits, as in guacd (parser-constants.h, protocol-constants.h).
const (
	// MaxElementLength is the largest declared element length, in code points.
	MaxElementLength = 8192
	// MaxElements is the most elements one instruction may have, opcode included.
	MaxElements = 128
	// DefaultMaxInstructionSize is the largest whole instruction, in bytes
	// (guacd's parser buffer).
	DefaultMaxInstructionSize = 32 * 1024
	// BlobMaxLength is the most raw bytes guacd puts in one blob instruction;
	// their base64 form (8064 characters) stays under MaxElementLength.
	BlobMaxLength = 6048
)

// asciiRunMin is the shortest remaining value for which the word-at-a-time
// ASCII scan beats stepping byte by byte.
const asciiRunMin = 16

// maxLengthDigits bounds a length prefix; guacd defines the same number
// (GUAC_INSTRUCTION_MAX_DIGITS) but never enforces it.
const maxLengthDigits = 5

// Instruction is a parsed instruction. Opcode and Args are views into the
// buffer that was parsed, valid until the next parse call on the same Parser
// or Reader. Args is backed by a fixed array inside the Parser, so parsing
// allocates nothing.
type Instruction struct {
	Opcode []byte
	Args   [][]byte
}

// Is reports whether the opcode equals op, without allocating.
func (ins Instruction) Is(op string) bool { return string(ins.Opcode) == op }

// Arg returns argument i (0 is the first element after the opcode), or nil if
// the instruction has no such argument.
func (ins Instruction) Arg(i int) []byte {
	if i < 0 || i >= len(ins.Args) {
		return nil
	}
	return ins.Args[i]
}

// parser states: which token the next byte belongs to.
const (
	stateLength    = iota // digits of a length prefix
	stateData             // element value
	stateSeparator        // ',' or ';' after a value
)

// Parser parses instructions from a byte slice. The zero value is ready to
// use.
//
// Parser is resumable: when b holds only a prefix of an instruction, Next
// returns ErrIncomplete and remembers how far it validated, so a later call
// whose b is the same prefix extended by more bytes continues where it stopped
// (inside a length prefix or a multi-byte character too) without rescanning.
// b may move between calls (a Reader compacts its buffer) because the
// Parser keeps offsets, not pointers.
//
// After any error other than ErrIncomplete the Parser keeps returning that
// error until Reset. A Parser must not be copied after first use, because
// the returned Args alias its internal array.
type Parser struct {
	// MaxInstructionSize caps a whole instruction in bytes; 0 means
	// DefaultMaxInstructionSize.
	MaxInstructionSize int

	state  uint8
	pos    int // bytes of the current instruction validated so far
	length int // length prefix being read, or code points left in a value
	digits int // digits of the length prefix read so far
	n      int // elements completed
	bounds [MaxElements][2]int
	args   [MaxElements][]byte
	err    error
}

// Reset discards any partial instruction and sticky error.
func (p *Parser) Reset() {
	p.state, p.pos, p.length, p.digits, p.n, p.err = stateLength, 0, 0, 0, 0, nil
}

func (p *Parser) limit() int {
	if p.MaxInstructionSize > 0 {
		return p.MaxInstructionSize
	}
	return DefaultMaxInstructionSize
}

// Next parses the instruction at the start of b. On success n is the number
// of bytes it occupied; the caller advances b by n before the next call. If b
// holds only part of an instruction, Next returns ErrIncomplete (unwrapped)
// and the caller retries with b extended. Other errors are *ParseError values
// wrapping ErrMalformed, ErrElementTooLong, ErrTooManyElements or
// ErrInstructionTooLong.
func (p *Parser) Next(b []byte) (ins Instruction, n int, err error) {
	if p.err != nil {
		return Instruction{}, 0, p.err
	}
	if p.pos > len(b) {
		// Not an extension of the previous prefix: start over rather than
		// index out of range.
		p.Reset()
	}
	limit := p.limit()
	end := min(len(b), limit)
	pos, length, digits, elems := p.pos, p.length, p.digits, p.n

	// The labels below are the parser states. Resuming jumps straight into
	// the saved state, and the whole scan stays in one function with its
	// state in registers; p is written only when the call returns.
	switch p.state {
	case stateData:
		goto data
	case stateSeparator:
		goto separator
	}

lengthPrefix:
	for pos < end {
		c := b[pos]
		if d := c - '0'; d <= 9 {
			digits++
			length = length*10 + int(d)
			if length > MaxElementLength || digits > maxLengthDigits {
				return p.fail(ErrElementTooLong, b, pos)
			}
			pos++
			continue
		}
		if c != '.' || digits == 0 {
			return p.fail(ErrMalformed, b, pos)
		}
		pos++
		// Every code point takes at least one byte and a terminator
		// follows, so a value that cannot fit is rejected before its data
		// arrive.
		if pos+length+1 > limit {
			return p.fail(ErrInstructionTooLong, b, pos-1)
		}
		p.bounds[elems][0] = pos
		goto data
	}
	p.state = stateLength
	goto incomplete

data:
	for length > 0 {
		if pos >= end {
			p.state = stateData
			goto incomplete
		}
		c := b[pos]
		if c < 0x80 {
			if length < asciiRunMin {
				pos++
				length--
				continue
			}
			// ASCII fast path: every ASCII byte is one code point, so a
			// word-at-a-time scan settles most of the value at once.
			k := asciiPrefix(b[pos:min(pos+length, end)])
			pos += k
			length -= k
			continue
		}
		// Wait for the whole character, as guacd does.
		sz := charSize(c)
		if pos+sz > end {
			p.state = stateData
			goto incomplete
		}
		pos += sz
		length--
	}
	p.bounds[elems][1] = pos
	elems++

separator:
	if pos >= end {
		p.state = stateSeparator
		goto incomplete
	}
	switch b[pos] {
	case ',':
		if elems == MaxElements {
			return p.fail(ErrTooManyElements, b, pos)
		}
		pos++
		length, digits = 0, 0
		goto lengthPrefix
	case ';':
		pos++
		for i := range elems {
			p.args[i] = b[p.bounds[i][0]:p.bounds[i][1]:p.bounds[i][1]]
		}
		p.state, p.pos, p.length, p.digits, p.n = stateLength, 0, 0, 0, 0
		return Instruction{Opcode: p.args[0], Args: p.args[1:elems:elems]}, pos, nil
	}
	return p.fail(ErrMalformed, b, pos)

incomplete:
	if end == limit {
		// b already holds limit bytes of this instruction and it has not
		// ended: it can never fit.
		return p.fail(ErrInstructionTooLong, b, pos)
	}
	p.pos, p.length, p.digits, p.n = pos, length, digits, elems
	return Instruction{}, 0, ErrIncomplete
}

func (p *Parser) fail(err error, b []byte, off int) (Instruction, int, error) {
	p.err = newParseError(err, b, off)
	return Instruction{}, 0, p.err
}
