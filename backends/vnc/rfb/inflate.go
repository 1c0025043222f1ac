package rfb

import (
	"bytes"
	"errors"
	"io"

	"github.com/klauspost/compress/flate"
)

const window = 32 << 10

// inflater decodes one persistent zlib stream whose bytes arrive in
// per-rectangle chunks, each ending in a sync flush (ZRLE, and each of
// Tight's four streams).
//
// A flate reader that runs out of input fails for good, and it decodes
// eagerly past what the caller asked for, so it cannot simply be fed
// chunk after chunk. Instead every chunk is inflated completely, and the
// next chunk starts a fresh reader primed with the last 32 KiB of output as
// its dictionary: a sync flush ends on a block boundary, so this continues
// the stream exactly.
type inflater struct {
	fr      io.ReadCloser
	src     bytes.Reader
	started bool   // the 2-byte zlib header has been consumed
	hist    []byte // ring of the last window output bytes, allocated on first use
	histPos int    // next write position in hist
	histLen int
	dict    []byte
	out     []byte
}

// reset forgets the stream (Tight reset bits): the next chunk begins with
// a zlib header.
func (z *inflater) reset() {
	z.started = false
	z.histPos, z.histLen = 0, 0
}

// inflate decodes chunk, which must produce at most limit bytes, and
// returns the output (valid until the next call).
func (z *inflater) inflate(chunk []byte, limit int) ([]byte, error) {
	if !z.started {
		if len(chunk) < 2 {
			return nil, protoErr("zlib stream shorter than its header")
		}
		cmf, flg := chunk[0], chunk[1]
		if cmf&0x0f != 8 || (uint16(cmf)<<8|uint16(flg))%31 != 0 || flg&0x20 != 0 {
			return nil, protoErr("bad zlib header %02x%02x", cmf, flg)
		}
		chunk = chunk[2:]
		z.started = true
	}
	z.src.Reset(chunk)
	z.dict = z.history(z.dict[:0])
	if z.fr == nil {
		z.fr = flate.NewReaderDict(&z.src, z.dict)
	} else if err := z.fr.(flate.Resetter).Reset(&z.src, z.dict); err != nil {
		return nil, protoErr("zlib reset: %v", err)
	}
	out := z.out[:0]
	for {
		if len(out) == cap(out) {
			if len(out) > limit {
				return nil, protoErr("zlib data inflates past %d bytes", limit)
			}
			out = append(out, 0)[:len(out)]
		}
		n, err := z.fr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		return nil, protoErr("zlib: %v", err)
	}
	if len(out) > limit {
		return nil, protoErr("zlib data inflates past %d bytes", limit)
	}
	z.out = out
	z.record(out)
	return out, nil
}

// record appends p to the history ring.
func (z *inflater) record(p []byte) {
	if z.hist == nil {
		z.hist = make([]byte, window)
	}
	if len(p) >= window {
		copy(z.hist, p[len(p)-window:])
		z.histPos, z.histLen = 0, window
		return
	}
	n := copy(z.hist[z.histPos:], p)
	if n < len(p) {
		copy(z.hist, p[n:])
	}
	z.histPos = (z.histPos + len(p)) % window
	z.histLen = min(z.histLen+len(p), window)
}

// history appends the last histLen output bytes, oldest first, to dst.
func (z *inflater) history(dst []byte) []byte {
	if z.histLen < window {
		return append(dst, z.hist[:z.histLen]...)
	}
	dst = append(dst, z.hist[z.histPos:]...)
	return append(dst, z.hist[:z.histPos]...)
}
