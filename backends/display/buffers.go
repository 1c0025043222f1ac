package display

import "github.com/goguacd/goguacd/protocol"

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
