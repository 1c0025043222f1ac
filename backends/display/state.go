package display

import "github.com/goguacd/goguacd/protocol"

// AppendState appends what a user joining now needs to see what the other
// users see after the last Flush: the screen size, the whole screen as
// lossless PNG, and the cursor. Call it right after a Flush, before the
// producer changes anything, so that the joiner can apply later Flushes
// like everyone else: pending copies would otherwise be applied twice.
func (e *Engine) AppendState(dst []byte) []byte {
	// Right after a Flush the framebuffer is what clients show (JPEG
	// areas aside, which the joiner gets exact).
	dst = protocol.AppendSize(dst, 0, e.fb.Rect.Dx(), e.fb.Rect.Dy())
	e.jobs = appendSplit(e.jobs[:0], e.fb.Rect, job{})
	dst = e.encodeJobs(dst)
	if e.cursorSet {
		dst = e.appendCursor(dst)
	}
	return dst
}
