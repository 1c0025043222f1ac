package display

import (
	"syscall"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/display/displaytest"
)

// cpuTime is the process's user+system CPU time, which counts the work of
// the encoding goroutines as well.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	// Getrusage(RUSAGE_SELF) cannot fail with a valid pointer.
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScenario runs the anchors.md scenarios at 1280x800, one frame
// per iteration. ns/op is the wall time of Flush alone (drawing the frame
// is the producer's work and not timed); it also reports the CPU time of
// Flush across all goroutines, bytes per frame, and the PSNR of the final
// frame of a separate 30-frame run as rebuilt by the reference client.
func BenchmarkScenario(b *testing.B) {
	variants := []struct {
		suffix string
		opts   Options
	}{{"", Options{}}, {"/lossless", Options{Lossless: true}}, {"/webp", Options{WebP: true}}}
	for _, v := range variants {
		for _, s := range scenarios {
			name, opts := s.name+v.suffix, v.opts
			b.Run(name, func(b *testing.B) {
				e, _ := newScenarioEngine(s, opts)
				buf := make([]byte, 0, 4<<20)
				total, n := 0, 0
				var cpu time.Duration
				b.ReportAllocs()
				for b.Loop() {
					b.StopTimer()
					s.frame(e, n)
					n++
					b.StartTimer()
					c0 := cpuTime()
					buf = e.Flush(buf[:0], 0)
					cpu += cpuTime() - c0
					total += len(buf)
				}
				b.StopTimer()
				b.SetBytes(int64(total / n))
				b.ReportMetric(float64(total)/float64(n), "bytes/frame")
				b.ReportMetric(float64(cpu.Microseconds())/1000/float64(n), "cpu-ms/frame")
				b.ReportMetric(scenarioPSNR(b, s, opts), "dB")
			})
		}
	}
}

// scenarioPSNR runs 30 frames of s through a reference client and returns
// the PSNR of its final screen.
func scenarioPSNR(b *testing.B, s scenario, opts Options) float64 {
	e, _ := newScenarioEngine(s, opts)
	var c displaytest.Canvas
	if err := c.Apply(e.AppendState(nil)); err != nil {
		b.Fatal(err)
	}
	var buf []byte
	for n := range 30 {
		s.frame(e, n)
		buf = e.Flush(buf[:0], 0)
		if err := c.Apply(buf); err != nil {
			b.Fatal(err)
		}
	}
	return displaytest.PSNR(e.Image(), c.Image())
}
