package protocol

import (
	"runtime"
	"testing"
)

// cpuMeter measures a benchmark's throughput per CPU-second of its own
// thread (see threadCPU), reported as the "cpu-MB/s" metric next to the
// wall-clock MB/s.
type cpuMeter struct {
	b     *testing.B
	bytes int64
	start int64
}

// startCPU pins the benchmark goroutine to its thread, so the thread's CPU
// time is the benchmark's, and starts measuring. Call stop after the loop.
func startCPU(b *testing.B, bytesPerOp int64) *cpuMeter {
	runtime.LockOSThread()
	b.Cleanup(runtime.UnlockOSThread)
	return &cpuMeter{b: b, bytes: bytesPerOp, start: int64(threadCPU())}
}

func (m *cpuMeter) stop() {
	cpu := int64(threadCPU()) - m.start
	if cpu <= 0 {
		return
	}
	m.b.ReportMetric(float64(m.bytes)*float64(m.b.N)/(float64(cpu)/1e9)/1e6, "cpu-MB/s")
}
