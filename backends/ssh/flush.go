package ssh

import (
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// flushLoop draws frames. Interactive output (an echo, a redraw) is drawn
// as soon as minFrame has passed since the previous frame, which keeps
// keystroke latency low; streaming output is drawn every bulkFrame, as
// guacd's terminal does, and only its latest state is rendered. Lagging
// users never hold it up: the core coalesces their output.
func (s *session) flushLoop() {
	defer s.wg.Done()
	var blink <-chan time.Time
	if s.blink > 0 {
		t := time.NewTicker(s.blink)
		defer t.Stop()
		blink = t.C
	}
	var last time.Time
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		case <-blink:
			s.engMu.Lock()
			s.blinkOff = !s.blinkOff
			s.engMu.Unlock()
		}
		s.termMu.Lock()
		gap := minFrame
		if s.bulk {
			gap = bulkFrame
		}
		s.termMu.Unlock()
		if wait := gap - time.Since(last); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-s.done:
				t.Stop()
				return
			case <-t.C:
			}
		}
		s.engMu.Lock()
		sent := s.flushLocked()
		s.engMu.Unlock()
		if sent {
			last = time.Now()
		}
	}
}

// flushLocked renders the terminal's latest state and broadcasts the
// changes as one frame, reporting whether anything was sent. engMu must
// be held; termMu is taken only while rendering.
func (s *session) flushLocked() bool {
	s.termMu.Lock()
	s.rend.SetBlink(!s.blinkOff)
	s.rend.Render(s.t)
	s.pending, s.bulk = 0, false
	title, retitle := s.title, s.titleDirty
	s.titleDirty = false
	if s.ts != nil {
		s.ts.flush()
	}
	s.termMu.Unlock()
	if s.buf == nil {
		s.buf = protocol.GetBuffer(0)
	}
	s.buf = s.buf[:0]
	if s.eng.Dirty() {
		s.buf = s.eng.Flush(s.buf, 0)
	}
	if retitle {
		s.buf = protocol.AppendName(s.buf, title)
	}
	if len(s.buf) == 0 {
		return false
	}
	s.buf = s.d.WriteFrame(s.buf)
	s.d.EndFrame(1)
	// A big buffer the display did not take serves the next session to
	// flush rather than staying pinned to this one.
	if protocol.PutBuffer(s.buf) {
		s.buf = nil
	}
	return true
}
