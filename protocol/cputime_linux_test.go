//go:build linux

package protocol

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used, so
// benchmarks can report throughput per CPU-second, which stays meaningful on
// a shared, overloaded machine where wall-clock ns/op does not.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_THREAD, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
