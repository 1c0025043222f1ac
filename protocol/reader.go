package protocol

import (
	"errors"
	"io"
)

// maxEmptyReads bounds consecutive (0, nil) reads, as bufio does, so a broken
// io.Reader cannot spin ReadInstruction forever.
const maxEmptyReads = 100

// Reader reads instructions from an io.Reader through its own fixed buffer.
// The buffer is exactly the maximum instruction size and never grows, so a
// hostile length prefix cannot make it allocate. A Reader is not safe for
// concurrent use.
type Reader struct {
	rd      io.Reader
	buf     []byte
	start   int   // first byte of the next instruction
	end     int   // end of valid data in buf
	offset  int64 // stream offset of buf[0], for error positions
	p       Parser
	err     error // sticky error from rd, reported once buffered data are used up
	perr    error // sticky parse error
	lastRaw []byte
}

// NewReader returns a Reader with DefaultMaxInstructionSize.
func NewReader(r io.Reader) *Reader {
	return NewReaderSize(r, DefaultMaxInstructionSize)
}

// NewReaderSize returns a Reader that accepts instructions of up to
// maxInstructionSize bytes (DefaultMaxInstructionSize if ≤ 0).
func NewReaderSize(r io.Reader, maxInstructionSize int) *Reader {
	if maxInstructionSize <= 0 {
		maxInstructionSize = DefaultMaxInstructionSize
	}
	return &Reader{
		rd:  r,
		buf: make([]byte, maxInstructionSize),
		p:   Parser{MaxInstructionSize: maxInstructionSize},
	}
}

// ReadInstruction returns the next instruction. Its views, and Raw, stay
// valid until the next call. At a clean end of stream (no partial
// instruction buffered) it returns io.EOF; an end of stream inside an
// instruction gives io.ErrUnexpectedEOF. Parse errors are *ParseError with
// stream offsets. Errors are sticky.
func (r *Reader) ReadInstruction() (Instruction, error) {
	r.lastRaw = nil
	if r.perr != nil {
		return Instruction{}, r.perr
	}
	empty := 0
	for {
		ins, n, err := r.p.Next(r.buf[r.start:r.end])
		if err == nil {
			r.lastRaw = r.buf[r.start : r.start+n : r.start+n]
			r.start += n
			return ins, nil
		}
		if err != ErrIncomplete {
			var pe *ParseError
			if errors.As(err, &pe) {
				// Report where in the stream, not where in the buffer.
				err = &ParseError{Err: pe.Err, Offset: int(r.offset) + r.start + pe.Offset, Snippet: pe.Snippet}
			}
			r.perr = err
			return Instruction{}, err
		}
		if r.err != nil {
			if r.err == io.EOF && r.start < r.end {
				return Instruction{}, io.ErrUnexpectedEOF
			}
			return Instruction{}, r.err
		}
		if r.start > 0 {
			// Move the partial instruction to the front so the whole
			// instruction can use the full buffer; the Parser keeps offsets
			// relative to its start, so it resumes correctly.
			r.offset += int64(r.start)
			r.end = copy(r.buf, r.buf[r.start:r.end])
			r.start = 0
		}
		m, rerr := r.rd.Read(r.buf[r.end:])
		if m < 0 || m > len(r.buf)-r.end {
			r.err = errors.New("protocol: reader returned invalid count")
			continue
		}
		r.end += m
		if rerr != nil && isTimeout(rerr) && m == 0 {
			// A read deadline is a pause, not the end of the stream: the
			// caller may extend it and read on, so it is not sticky.
			return Instruction{}, rerr
		}
		if rerr != nil && !isTimeout(rerr) {
			r.err = rerr
		} else if m == 0 {
			if empty++; empty >= maxEmptyReads {
				r.err = io.ErrNoProgress
			}
		} else {
			empty = 0
		}
	}
}

// Raw returns the exact wire bytes of the instruction last returned by
// ReadInstruction, for recording or relaying without re-encoding. It is
// valid until the next call and nil after an error.
func (r *Reader) Raw() []byte { return r.lastRaw }

// Buffered returns how many bytes have been read from the underlying
// io.Reader but not yet returned as instructions.
func (r *Reader) Buffered() int { return r.end - r.start }

// Reset discards all state and makes r read from rd, reusing r's buffer, so
// Readers can be pooled.
func (r *Reader) Reset(rd io.Reader) {
	r.rd = rd
	r.start, r.end, r.offset = 0, 0, 0
	r.err, r.perr, r.lastRaw = nil, nil, nil
	r.p.Reset()
}

// isTimeout reports errors that say a deadline passed (net.Error and
// os.ErrDeadlineExceeded implement Timeout), without importing net.
func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

// Unread returns the bytes read from the io.Reader but not yet returned as
// instructions, for a caller that hands the stream on (splicing it to
// another server). It is valid until the next call.
func (r *Reader) Unread() []byte { return r.buf[r.start:r.end] }
