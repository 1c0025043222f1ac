package ssh

import (
	"io"
	"sync"
)

// stdinLimit is how much input may queue for the remote side before
// writers that can wait (pipe streams, pastes) are held back.
const stdinLimit = 1 << 20

// stdinWriter queues bytes for the SSH channel's stdin, so neither the
// terminal (answering a device-attributes query under the session lock)
// nor a user's input loop ever blocks on the network. Bytes queued before
// the channel exists (typed ahead while connecting) are sent once it does.
type stdinWriter struct {
	mu     sync.Mutex
	cond   *sync.Cond
	buf    []byte
	closed bool
}

func newStdinWriter() *stdinWriter {
	w := &stdinWriter{}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// write queues p. With wait, it first waits while the queue is over
// stdinLimit, which gives bulk senders backpressure.
func (w *stdinWriter) write(p []byte, wait bool) {
	if len(p) == 0 {
		return
	}
	w.mu.Lock()
	for wait && len(w.buf) > stdinLimit && !w.closed {
		w.cond.Wait()
	}
	if !w.closed {
		w.buf = append(w.buf, p...)
		w.cond.Broadcast()
	}
	w.mu.Unlock()
}

// run copies queued bytes to dst until close or a write error.
func (w *stdinWriter) run(dst io.Writer) {
	var out []byte
	for {
		w.mu.Lock()
		for len(w.buf) == 0 && !w.closed {
			w.cond.Wait()
		}
		if w.closed {
			w.mu.Unlock()
			return
		}
		out, w.buf = w.buf, out[:0]
		w.cond.Broadcast()
		w.mu.Unlock()
		if _, err := dst.Write(out); err != nil {
			w.close()
			return
		}
	}
}

// close drops whatever is queued and releases waiting writers.
func (w *stdinWriter) close() {
	w.mu.Lock()
	w.closed = true
	w.buf = nil
	w.cond.Broadcast()
	w.mu.Unlock()
}
