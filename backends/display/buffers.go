package display

import (
	"encoding/base64"

	"github.com/goguacd/goguacd/protocol"
)

// commitJob implements committer: it appends job i's image to e.frame,
// first spilling the frame so far if that would make it too big, and
// growing it for the jobs still to come too, guessed from this one's size,
// so that a big frame moves once or twice rather than at every append.
func (e *Engine) commitJob(i int, out []byte) {
	j := &e.jobs[i]
	n := imgBytes(len(out))
	if e.spill != nil && len(e.frame) > 0 && len(e.frame)+n > SpillBytes {
		e.frame = e.spill(e.frame)[:0]
	}
	if len(e.frame)+n > cap(e.frame) {
		want := n * (len(e.jobs) - i)
		if e.spill != nil {
			want = min(want, max(n, SpillBytes))
		}
		e.frame = reserveFrame(e.frame, len(e.frame)+want)
	}
	stream := e.opts.ImageStream
	e.frame = protocol.AppendImg(e.frame, stream, screenMode, 0, j.kind.mimetype(), j.r.Min.X, j.r.Min.Y)
	e.frame = protocol.AppendBlob(e.frame, stream, out)
	e.frame = protocol.AppendEnd(e.frame, stream)
}

// imgBytes bounds the instructions sending an n-byte image: its base64
// text, blob headers per protocol.BlobMaxLength chunk, and the img and end
// instructions.
func imgBytes(n int) int {
	return base64.StdEncoding.EncodedLen(n) + (n/protocol.BlobMaxLength+1)*40 + 128
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

// encodeJobs appends the images of e.jobs to dst.
func (e *Engine) encodeJobs(dst []byte) []byte {
	e.frame = dst
	e.work.run(e.fb, e.jobs, e.opts.CompressLevel, e)
	dst, e.frame = e.frame, nil
	return dst
}
