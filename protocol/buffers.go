package protocol

import (
	"runtime"
	"sync"
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
	bytes int // total capacity of free
}

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
	free := bigBuffers.free
	b := free[best]
	last := len(free) - 1
	free[best] = free[last]
	free[last] = nil
	bigBuffers.free = free[:last]
	bigBuffers.bytes -= cap(b)
	return b[:0]
}

// PutBuffer offers b for reuse and reports whether it was taken. Buffers
// of at most KeepBytes are not taken: their owner should keep them.
func PutBuffer(b []byte) bool {
	if cap(b) <= KeepBytes {
		return false
	}
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	// Enough for every worker's strip and every busy connection's frame
	// and queue.
	if len(bigBuffers.free) >= 4*runtime.GOMAXPROCS(0) || bigBuffers.bytes+cap(b) > maxFreeBytes {
		return false
	}
	bigBuffers.free = append(bigBuffers.free, b[:0])
	bigBuffers.bytes += cap(b)
	return true
}
