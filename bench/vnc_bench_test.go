package bench

import (
	"errors"
	"fmt"
	"image"
	"net"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// Scenario size and length, as guacd was measured (anchors.md).
const (
	benchW, benchH = 1280, 800
	benchFrames    = 300
)

// vncResult is what one measuring client saw.
type vncResult struct {
	bytes  int64
	syncs  int
	images int
	psnr   float64
	final  *image.RGBA
	err    error
}

// measure connects one measuring client to goguacd for the VNC server at
// rfbAddr, acknowledges every sync at once, rebuilds the display, and stops
// when done reports true after 500 ms of silence.
func measure(addr, rfbAddr string, images []string, done func() bool, onSync func(*displaytest.Canvas, time.Time), keys <-chan uint32) (res vncResult) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		res.err = err
		return
	}
	defer nc.Close()
	r := protocol.NewReader(nc)
	host, port, _ := net.SplitHostPort(rfbAddr)
	nc.Write(protocol.AppendInstruction(nil, "select", "vnc"))
	nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	in, err := r.ReadInstruction()
	if err != nil || !in.Is("args") {
		res.err = fmt.Errorf("args: %v", err)
		return
	}
	vals := []string{"VERSION_1_5_0"}
	for _, n := range in.Args[1:] {
		switch string(n) {
		case "hostname":
			vals = append(vals, host)
		case "port":
			vals = append(vals, port)
		default:
			vals = append(vals, "")
		}
	}
	msg := protocol.AppendInstruction(nil, "size", "1280", "800", "96")
	msg = protocol.AppendInstruction(msg, "image", images...)
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	nc.Write(msg)

	var canvas displaytest.Canvas
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		nc.Write(b)
		wmu.Unlock()
	}
	if keys != nil {
		go func() {
			for k := range keys {
				write(protocol.AppendInstruction(nil, "key", fmt.Sprint(k), "1"))
				write(protocol.AppendInstruction(nil, "key", fmt.Sprint(k), "0"))
			}
		}()
	}
	for {
		nc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		in, err := r.ReadInstruction()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && done() {
				res.final = canvas.Image()
				return
			}
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			res.err = err
			return
		}
		raw := r.Raw()
		res.bytes += int64(len(raw))
		switch {
		case in.Is("sync"):
			res.syncs++
			write(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
			if onSync != nil {
				onSync(&canvas, time.Now())
			}
		case in.Is("img"):
			res.images++
		case in.Is("error"):
			res.err = fmt.Errorf("error from goguacd: %s %s", in.Args[0], in.Args[1])
			return
		}
		if err := canvas.Apply(raw); err != nil {
			res.err = err
			return
		}
	}
}

// Image mimetypes the measuring client lists: what a browser sends without
// WebP (as guacd was measured), and PNG only, which forces lossless.
var (
	pngJPEG = []string{"image/png", "image/jpeg"}
	pngOnly = []string{"image/png"}
)

// BenchmarkVNC runs each scenario of the guacd anchors through a real
// goguacd process: 1280x800, 300 source frames at up to 60 fps, for 1 and
// 8 concurrent connections. Reported per source frame: server CPU, bytes to
// the client; plus frames delivered (syncs), final PSNR and PSS per
// connection. "full-png" is the full scenario for a client that takes only
// PNG.
func BenchmarkVNC(b *testing.B) {
	type variant struct {
		name   string
		sc     rfbtest.Scenario
		images []string
	}
	var variants []variant
	for _, sc := range []rfbtest.Scenario{rfbtest.Idle, rfbtest.Typing, rfbtest.Scroll, rfbtest.Video, rfbtest.Full} {
		variants = append(variants, variant{string(sc), sc, pngJPEG})
	}
	variants = append(variants, variant{"full-png", rfbtest.Full, pngOnly})
	for _, v := range variants {
		for _, conns := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/conns=%d", v.name, conns), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					runScenario(b, v.sc, v.images, conns)
				}
			})
		}
	}
}

func runScenario(b *testing.B, sc rfbtest.Scenario, images []string, conns int) {
	d := startDaemon(b)
	servers := make([]*rfbtest.Server, conns)
	for i := range servers {
		rs, err := rfbtest.NewServer(rfbtest.Options{Width: benchW, Height: benchH, Scenario: sc, Frames: benchFrames, MaxFPS: 60})
		if err != nil {
			b.Fatal(err)
		}
		defer rs.Close()
		servers[i] = rs
	}
	pss0 := d.pss(b)
	cpu0 := d.cpu(b)
	start := time.Now()
	results := make([]vncResult, conns)
	var wg sync.WaitGroup
	var peak int64
	var pmu sync.Mutex
	for i := range servers {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rs := servers[i]
			done := func() bool {
				if sc == rfbtest.Idle {
					return time.Since(start) > 5*time.Second
				}
				select {
				case <-rs.Done():
					return true
				default:
					return false
				}
			}
			sampled := false
			onSync := func(*displaytest.Canvas, time.Time) {
				if !sampled && rs.FramesSent() > benchFrames/2 {
					sampled = true
					p := d.pss(b)
					pmu.Lock()
					peak = max(peak, p)
					pmu.Unlock()
				}
			}
			res := measure(d.addr, rs.Addr(), images, done, onSync, nil)
			if res.err == nil {
				res.psnr = displaytest.PSNR(res.final, rs.Framebuffer())
			}
			results[i] = res
		}(i)
	}
	wg.Wait()
	wall := time.Since(start)
	cpu := d.cpu(b) - cpu0
	var bytes int64
	syncs, worst := 0, 100.0
	for _, r := range results {
		if r.err != nil {
			b.Fatal(r.err)
		}
		bytes += r.bytes
		syncs += r.syncs
		worst = min(worst, r.psnr)
	}
	frames := float64(benchFrames * conns)
	b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "cpu-ms/frame")
	b.ReportMetric(float64(bytes)/frames, "bytes/frame")
	b.ReportMetric(float64(syncs)/float64(conns), "syncs/conn")
	b.ReportMetric(worst, "psnr-dB")
	b.ReportMetric(wall.Seconds(), "wall-s")
	if peak > 0 {
		b.ReportMetric(float64(peak-pss0)/float64(conns)/(1<<20), "pss-MB/conn")
	}
}

// BenchmarkVNCEcho measures input latency: 33 key presses 100 ms apart,
// from the key press sent to the sync whose frame shows its cell.
func BenchmarkVNCEcho(b *testing.B) {
	for i := 0; i < b.N; i++ {
		d := startDaemon(b)
		rs, err := rfbtest.NewServer(rfbtest.Options{Width: benchW, Height: benchH, Scenario: rfbtest.Echo, MaxFPS: -1})
		if err != nil {
			b.Fatal(err)
		}
		const presses = 33
		keys := make(chan uint32)
		sent := make([]time.Time, presses+1)
		var mu sync.Mutex
		var lat []time.Duration
		next := 1
		onSync := func(c *displaytest.Canvas, at time.Time) {
			mu.Lock()
			defer mu.Unlock()
			if os.Getenv("BENCH_DAEMON_LOG") != "" {
				fmt.Println("sync", next, !sent[next].IsZero(), rs.FramesSent(), displaytest.DiffPixels(c.Image(), rs.Framebuffer()))
			}
			// The server has drawn key next's cell once FramesSent reaches
			// next; the frame shows it once the display matches.
			if next <= presses && !sent[next].IsZero() && rs.FramesSent() >= next &&
				displaytest.DiffPixels(c.Image(), rs.Framebuffer()) == 0 {
				lat = append(lat, at.Sub(sent[next]))
				next++
			}
		}
		go func() {
			time.Sleep(time.Second) // first frame
			for k := 1; k <= presses; k++ {
				mu.Lock()
				sent[k] = time.Now()
				mu.Unlock()
				keys <- uint32('a' + k%26)
				time.Sleep(100 * time.Millisecond)
			}
			close(keys)
		}()
		start := time.Now()
		res := measure(d.addr, rs.Addr(), pngJPEG, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return next > presses || time.Since(start) > 15*time.Second
		}, onSync, keys)
		rs.Close()
		if res.err != nil {
			b.Fatal(res.err)
		}
		if len(lat) < presses {
			b.Fatalf("only %d of %d key presses were seen", len(lat), presses)
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
