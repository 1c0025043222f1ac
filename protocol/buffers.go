package protocol

import (
	"runtime"
	"sync"
	"time"
)

// KeepBytes is the largest output buffer an owner (a display engine, a
// user's queue) should keep for itself between frames. Bigger ones (a
// full-screen image is about a megabyte) go back to the process-wide free
// list of GetBuffer and PutBuffer after each frame: with many connections
// only those busy at the same moment hold one, instead of every
// connection pinning its largest frame ever, and the garbage collector's
// headroom (a multiple of the live heap) shrinks with them.
const KeepBytes = 64 << 10

// bigBuffers is that free list. It is bounded and deterministic: sync.Pool
// would allocate on every Put and forget its contents at each collection,
// turning every big frame into garbage.
var bigBuffers struct {
	mu    sync.Mutex
	free  [][]byte
	since []time.Time // when each free buffer was given back
	bytes int         // total capacity of free
}

// bufferIdle is how long a free buffer is kept unused: a burst (a first
// full screen, a redraw, a slow user's backlog) would otherwise leave up
// to maxFreeBytes parked in the heap for good. bufferNow is the clock,
// replaced in tests.
var (
	bufferIdle = 2 * time.Second
	bufferNow  = time.Now
)

// maxFreeBytes bounds the free list's memory: a burst of huge frames (a
// first full-screen PNG) must not leave megabytes parked for good.
const maxFreeBytes = 8 << 20

// GetBuffer returns an empty buffer from the free list: the smallest with
// a capacity of at least n, or for n 0 the biggest; nil when none fits.
// Give it back with PutBuffer once written.
func GetBuffer(n int) []byte {
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	best := -1
	for i, b := range bigBuffers.free {
		c := cap(b)
		switch {
		case n == 0:
			if best < 0 || c > cap(bigBuffers.free[best]) {
				best = i
			}
		case c >= n && (best < 0 || c < cap(bigBuffers.free[best])):
			best = i
		}
	}
	if best < 0 {
		return nil
	}
	b := bigBuffers.free[best]
	removeBuffer(best)
	return b[:0]
}

// removeBuffer takes free buffer i off the list, keeping the others in
// the order they were given back. mu must be held.
func removeBuffer(i int) {
	bb := &bigBuffers
	bb.bytes -= cap(bb.free[i])
	copy(bb.free[i:], bb.free[i+1:])
	copy(bb.since[i:], bb.since[i+1:])
	last := len(bb.free) - 1
	bb.free[last] = nil
	bb.free, bb.since = bb.free[:last], bb.since[:last]
}

// PutBuffer offers b for reuse and reports whether it was taken. Buffers
// of at most KeepBytes are not taken: their owner should keep them.
func PutBuffer(b []byte) bool {
	if cap(b) <= KeepBytes {
		return false
	}
	now := bufferNow()
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	// The oldest come first: drop those unused for bufferIdle.
	for len(bigBuffers.free) > 0 && now.Sub(bigBuffers.since[0]) >= bufferIdle {
		removeBuffer(0)
	}
	// Enough for every worker's strip and every busy connection's frame
	// and queue.
	if len(bigBuffers.free) >= 4*runtime.GOMAXPROCS(0) || bigBuffers.bytes+cap(b) > maxFreeBytes {
		return false
	}
	bigBuffers.free = append(bigBuffers.free, b[:0])
	bigBuffers.since = append(bigBuffers.since, now)
	bigBuffers.bytes += cap(b)
	return true
}
