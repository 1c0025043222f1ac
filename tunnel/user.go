package tunnel

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// user is one attached client. Output goes through a bounded queue drained
// by the user's own writer goroutine, so a slow client never blocks the
// backend or the other users: when its queue overflows, the queued frames are
// dropped and the user is sent the complete current state instead
// (coalescing), once it has caught up.
type user struct {
	id       string
	conn     Conn
	c        *connection
	owner    bool
	readOnly bool
	info     backends.ClientInfo
	params   backends.Params
	username string

	mu        sync.Mutex
	queue     []byte    // the user's own queued bytes, ranges of segs
	segs      []segment // what is queued, in order
	size      int       // bytes queued: queue plus shared frames
	head      int       // size of the first queued write, which the limit does not count
	spare     []byte
	spareSegs []segment
	attached  bool
	resync    bool // queue overflowed: needs Join again once drained
	closed    bool
	wake      chan struct{}

	limit     int
	lastWrite atomic.Int64 // monotonic ms of the last byte queued
	lag       lagTracker
	done      chan struct{} // closed when the writer goroutine exits
}

var _ backends.User = (*user)(nil)

func (u *user) ID() string                { return u.id }
func (u *user) Owner() bool               { return u.owner }
func (u *user) ReadOnly() bool            { return u.readOnly }
func (u *user) Info() backends.ClientInfo { return u.info }
func (u *user) Params() backends.Params   { return u.params }
func (u *user) Username() string          { return u.username }
func (u *user) Lag() time.Duration        { return u.lag.get() }

// Write implements backends.User.
func (u *user) Write(p []byte) { u.push(p, nil, false) }

// Attach implements backends.User.
func (u *user) Attach() {
	u.mu.Lock()
	u.attached = true
	u.mu.Unlock()
}

// segment is a run of queued bytes: queue[off:end], or a shared frame.
type segment struct {
	f        *frame
	off, end int
}

// frame is a big buffer broadcast to every user without a copy each: the
// last user to write it (or drop it) gives it back to protocol's free list.
type frame struct {
	b    []byte
	refs atomic.Int32
}

func (f *frame) release() {
	if f.refs.Add(-1) == 0 {
		protocol.PutBuffer(f.b)
	}
}

// push queues p: a copy, or the shared frame f (whose bytes p is).
// Broadcast bytes are skipped while the user is detached. On overflow the
// queue is dropped and the user detached until it is resynchronised. The
// limit bounds what waits behind the first write in the queue, not that
// write: a frame bigger than the limit (a big screen's lossless image, the
// resync state itself) must still reach a user that keeps up, or it would
// overflow forever.
func (u *user) push(p []byte, f *frame, broadcast bool) {
	u.mu.Lock()
	if u.closed || (broadcast && !u.attached) {
		u.mu.Unlock()
		return
	}
	switch {
	case u.size == 0:
		u.head = len(p)
		u.add(p, f)
	case u.size-u.head+len(p) > u.limit:
		u.dropQueued()
		u.attached = false
		u.resync = true
		u.c.srv.metrics.coalesced.Inc()
	default:
		u.add(p, f)
	}
	u.mu.Unlock()
	u.lastWrite.Store(monotonicMillis())
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

// add appends p or f to the queue. mu must be held.
func (u *user) add(p []byte, f *frame) {
	u.size += len(p)
	if f != nil {
		f.refs.Add(1)
		u.segs = append(u.segs, segment{f: f})
		return
	}
	u.reserve(len(p))
	off := len(u.queue)
	u.queue = append(u.queue, p...)
	if n := len(u.segs); n > 0 && u.segs[n-1].f == nil && u.segs[n-1].end == off {
		u.segs[n-1].end = len(u.queue)
		return
	}
	u.segs = append(u.segs, segment{off: off, end: len(u.queue)})
}

// dropQueued forgets everything queued. mu must be held.
func (u *user) dropQueued() {
	releaseSegs(u.segs)
	u.queue, u.segs, u.size, u.head = u.queue[:0], u.segs[:0], 0, 0
}

// releaseSegs gives up segs' shared frames.
func releaseSegs(segs []segment) {
	for i := range segs {
		if f := segs[i].f; f != nil {
			f.release()
			segs[i].f = nil
		}
	}
}

// reserve makes room in the queue for n more bytes. A queue outgrowing
// what a user keeps borrows from protocol's free list of big buffers, and
// gives back the one it outgrew: a stream of big frames then reuses a few
// buffers instead of leaving one of garbage per frame. mu must be held.
func (u *user) reserve(n int) {
	need := len(u.queue) + n
	if need <= cap(u.queue) {
		return
	}
	var b []byte
	if need > protocol.KeepBytes {
		b = protocol.GetBuffer(need)
	}
	if b == nil {
		// Room for the frame's sync and a little more without regrowing.
		b = make([]byte, 0, need+need/8+64)
	}
	old := u.queue
	u.queue = append(b, old...)
	if !protocol.PutBuffer(old) && u.spare == nil && cap(old) > 0 && cap(old) <= protocol.KeepBytes {
		u.spare = old[:0]
	}
}

// writeLoop is the user's only writer. It exits when the user is closed and
// its queue drained, or when a write fails (then the transport is closed so
// the reader ends too).
func (u *user) writeLoop(keepAlive time.Duration) {
	defer close(u.done)
	t := time.NewTimer(keepAlive)
	defer t.Stop()
	nop := protocol.AppendNop(nil)
	for {
		select {
		case <-u.wake:
		case <-t.C:
			// Server silence: a nop keeps proxies and the client's receive
			// timer from giving up on an idle session.
			if monotonicMillis()-u.lastWrite.Load() >= keepAlive.Milliseconds() {
				u.Write(nop)
			}
			t.Reset(keepAlive)
			continue
		}
		for {
			u.mu.Lock()
			out, segs, size := u.queue, u.segs, u.size
			u.queue, u.spare = u.spare[:0], nil
			u.segs, u.spareSegs = u.spareSegs[:0], nil
			u.size, u.head = 0, 0
			rejoin := false
			if len(segs) == 0 {
				if u.closed {
					u.mu.Unlock()
					// Everything queued went out; closing the transport
					// also ends the user's reader.
					_ = u.conn.Close()
					return
				}
				rejoin, u.resync = u.resync, false
			}
			u.mu.Unlock()
			if rejoin {
				u.c.rejoin(u)
				continue
			}
			if len(segs) == 0 {
				break
			}
			err := u.writeSegs(out, segs)
			releaseSegs(segs)
			if err != nil {
				u.c.srv.logger.Debug("write failed", "user", u.id, "err", err)
				u.markClosed()
				u.mu.Lock()
				u.dropQueued()
				u.mu.Unlock()
				_ = u.conn.Close()
				return
			}
			u.c.srv.metrics.bytesOut.Add(float64(size))
			// Keep a modest buffer for reuse; big ones go back to the
			// shared free list so that an idle user holds little memory.
			u.mu.Lock()
			u.spareSegs = segs[:0]
			if cap(out) <= protocol.KeepBytes {
				u.spare = out[:0]
			}
			u.mu.Unlock()
			if cap(out) > protocol.KeepBytes {
				protocol.PutBuffer(out)
			}
		}
	}
}

// writeSegs writes the queued segments in order.
func (u *user) writeSegs(out []byte, segs []segment) error {
	for _, sg := range segs {
		p := out[sg.off:sg.end]
		if sg.f != nil {
			p = sg.f.b
		}
		if err := u.conn.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// markClosed stops further queueing; the writer drains what is queued and exits.
func (u *user) markClosed() {
	u.mu.Lock()
	u.closed = true
	u.attached = false
	u.mu.Unlock()
	select {
	case u.wake <- struct{}{}:
	default:
	}
}

var clockBase = time.Now()

// monotonicMillis is milliseconds on the monotonic clock, the time base of
// sync timestamps (guacd uses CLOCK_MONOTONIC too, not epoch time).
func monotonicMillis() int64 { return time.Since(clockBase).Milliseconds() }

// lagTracker estimates how far a user's display trails, from sync
// acknowledgements, as guacd does: the growth of the round trip over its
// baseline.
type lagTracker struct {
	mu            sync.Mutex
	lastAck       int64
	lastDuration  int64
	haveBaseline  bool
	processingLag atomic.Int64 // ms
}

func (l *lagTracker) get() time.Duration {
	return time.Duration(l.processingLag.Load()) * time.Millisecond
}

// ack records the client's sync acknowledgement of timestamp ts. It reports
// false for a timestamp the server never sent (in the future).
func (l *lagTracker) ack(ts int64) bool {
	now := monotonicMillis()
	if ts > now {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if ts < l.lastAck {
		return true
	}
	l.lastAck = ts
	frameDuration := now - ts
	rtt := frameDuration
	if l.haveBaseline {
		processing := max(0, frameDuration-l.lastDuration)
		rtt = frameDuration - processing
	}
	l.lastDuration = rtt
	l.haveBaseline = true
	l.processingLag.Store(max(0, now-ts-rtt))
	return true
}
