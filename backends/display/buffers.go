package display

import (
	"encoding/base64"

	"github.com/goguacd/goguacd/protocol"
)

// releaseJobs gives the big job outputs back to protocol's free list after
// a frame was written; an engine keeps only small ones.
func releaseJobs(jobs []job) {
	for i := range jobs {
		if cap(jobs[i].out) > protocol.KeepBytes {
			protocol.PutBuffer(jobs[i].out)
			jobs[i].out = nil
		}
	}
}

// frameBytes bounds the size of the frame once the encoded jobs are
// appended to dst: per job its base64 text, blob headers per
// protocol.BlobMaxLength chunk, and the img and end instructions.
func (e *Engine) frameBytes(dst []byte) int {
	n := len(dst)
	for i := range e.jobs {
		out := len(e.jobs[i].out)
		n += base64.StdEncoding.EncodedLen(out) + (out/protocol.BlobMaxLength+1)*40 + 128
	}
	return n
}

// reserveFrame returns dst with a capacity of at least n. A big frame's
// buffer comes from protocol's free list when one fits, else is allocated
// once at its size: display outputs hand their big buffers over to the
// users, so the next frame often starts without one, and growing it by
// appending would copy and allocate several times per frame.
func reserveFrame(dst []byte, n int) []byte {
	if n <= cap(dst) {
		return dst
	}
	b := protocol.GetBuffer(n)
	if b == nil {
		// Every free buffer is too small for such a frame. Drop the
		// biggest, so that the list does not fill up with buffers too
		// small to serve, and allocate room for slightly bigger frames.
		protocol.GetBuffer(0)
		b = make([]byte, 0, n+n/4)
	}
	b = append(b, dst...)
	protocol.PutBuffer(dst)
	return b
}
