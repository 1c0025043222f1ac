package display

import (
	"runtime"
	"sync"
)

// keepBytes is the largest output buffer a connection keeps between
// frames. Bigger ones (a full-screen image is about a megabyte) go back to
// a process-wide free list after each frame: with many connections only
// those flushing at the same moment hold one, instead of every connection
// pinning its largest frame ever, and the garbage collector's headroom
// (a multiple of the live heap) shrinks with them.
const keepBytes = 64 << 10

// bigBuffers is that free list. Like encoderPool it is bounded and
// deterministic (sync.Pool would allocate on every Put and forget its
// contents at each collection).
var bigBuffers struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int // total capacity of free
}

// maxFreeBytes bounds the free list's memory: a burst of huge frames (a
// first full-screen PNG) must not leave megabytes parked for good.
const maxFreeBytes = 8 << 20

// GetBuffer returns an empty buffer for frame output, with a large
// capacity when one is free; give it back with PutBuffer once written.
func GetBuffer() []byte {
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	n := len(bigBuffers.free)
	if n == 0 {
		return nil
	}
	b := bigBuffers.free[n-1]
	bigBuffers.free[n-1] = nil
	bigBuffers.free = bigBuffers.free[:n-1]
	bigBuffers.bytes -= cap(b)
	return b[:0]
}

// PutBuffer offers b for reuse and reports whether it was taken. Buffers
// of at most keepBytes are not taken: their owner should keep them.
func PutBuffer(b []byte) bool {
	if cap(b) <= keepBytes {
		return false
	}
	bigBuffers.mu.Lock()
	defer bigBuffers.mu.Unlock()
	// Enough for every worker's strip and every flushing connection's frame.
	if len(bigBuffers.free) >= 4*runtime.GOMAXPROCS(0) || bigBuffers.bytes+cap(b) > maxFreeBytes {
		return false
	}
	bigBuffers.free = append(bigBuffers.free, b[:0])
	bigBuffers.bytes += cap(b)
	return true
}

// releaseJobs gives the big job outputs back after a frame was written.
func releaseJobs(jobs []job) {
	for i := range jobs {
		if cap(jobs[i].out) > keepBytes {
			PutBuffer(jobs[i].out)
			jobs[i].out = nil
		}
	}
}
