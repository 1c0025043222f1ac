package main

import "runtime/debug"

// defaultGCPercent replaces Go's GOGC=100 unless GOGC is set. Most of
// goguacd's heap is framebuffers and frame buffers, which hold no
// pointers: a collection barely looks at them, so collecting more often
// costs little CPU, while GOGC=100 would let the heap grow to twice the
// live framebuffers, doubling the memory each connection costs
// (bench/RESULTS.md has both).
const defaultGCPercent = 25

// tuneGC applies defaultGCPercent when the environment does not choose.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
}
