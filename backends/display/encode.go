package display

import (
	"image"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zlib"

	"github.com/goguacd/goguacd/backends/rgb"
)

// JPEG policy, as in guacd's display worker: lossy only for areas that
// change often, are big enough for the JPEG header to pay off, and look
// like photos rather than text.
const (
	jpegMinFPS  = 3
	jpegMinArea = 4096
)

// Work splitting: an image bigger than maxJobPixels is cut into horizontal
// strips so that workers share it; parallel encoding starts only from
// parallelMinPixels, below which goroutine hand-off costs more than it saves.
const (
	// sampleRows: the encoder heuristics look at every sampleRows-th row.
	sampleRows = 8

	// 64K-pixel PNG strips rather than 128K: a smaller strip of coloured
	// text more often has few colours, so more strips are indexed and with
	// fewer bits per pixel (BenchmarkScenario/full: 124.5 KiB per frame
	// instead of 151.1, and less CPU), and an encoder's palette index is
	// half the size; photos lose a little (video/lossless +3 % bytes).
	maxJobPixels      = 64 << 10
	parallelMinPixels = 64 << 10

	// Lossy strips are smaller: the JPEG encoder keeps a strip's Huffman
	// symbols (4 bytes each, 0.4 per pixel on the benchmark photo at q90,
	// up to 1.5 reserved) for its optimised tables, per encoder. 32K-pixel
	// strips against 64K: 144 KB less of them per encoder and 9 % less CPU
	// (the strips share the cores more evenly) for 2.5 % more bytes, one
	// more header per strip (BenchmarkScenario/video: 70.6 KiB a frame
	// instead of 68.9).
	maxLossyJobPixels = 32 << 10
)

// imageKind is the format a job is encoded in.
type imageKind uint8

const (
	kindPNG imageKind = iota
	kindJPEG
	kindWebP // lossy, in place of JPEG when every user accepts it
)

// mimetype is the img instruction's mimetype for k.
func (k imageKind) mimetype() string {
	switch k {
	case kindJPEG:
		return "image/jpeg"
	case kindWebP:
		return "image/webp"
	}
	return "image/png"
}

// job is one image to encode.
type job struct {
	r       image.Rectangle
	kind    imageKind
	quality int
}

// appendSplit appends jobs covering r, cut into strips of at most
// maxJobPixels. Lossy strips are multiples of 16 rows so that no JPEG
// MCU or WebP macroblock straddles a cut.
func appendSplit(jobs []job, r image.Rectangle, j job) []job {
	area := r.Dx() * r.Dy()
	most := maxJobPixels
	if j.kind != kindPNG {
		most = maxLossyJobPixels
	}
	n := (area + most - 1) / most
	h := (r.Dy() + n - 1) / n
	if j.kind != kindPNG {
		h = (h + 15) &^ 15
	}
	for y := r.Min.Y; y < r.Max.Y; y += h {
		j.r = image.Rect(r.Min.X, y, r.Max.X, min(y+h, r.Max.Y))
		jobs = append(jobs, j)
	}
	return jobs
}

// encoder holds one worker's reusable encoding state.
type encoder struct {
	png       *pngEncoder
	jpeg      jpegEncoder
	webp      webpEncoder
	idleSince time.Time // when it was last given back to the pool
	// out holds the last job's image until it is committed to the frame.
	// One per worker, not one per job: a full-screen frame's images would
	// otherwise all be alive at once beside the frame they are copied
	// into, and buffers of varying sizes changing hands every frame kept
	// the garbage collector's heap at several times what was in use.
	out []byte
}

// encoderPool shares encoders among every engine of the process, per
// deflate level: an encoder's state is about half a megabyte (deflate
// window, hash table and tokens, PNG palette index, JPEG symbols), and an
// idle connection should hold none. At most GOMAXPROCS encoders exist in
// use at once, which makes it the bounded worker pool of the whole
// process: connections flushing together take turns for the cores instead
// of each growing its own encoders, and the free list keeps as many as
// were used in the last encoderIdle, so steady-state frames allocate
// nothing.
var encoderPool struct {
	mu    sync.Mutex
	free  [zlib.BestCompression + 1][]*encoder
	slots chan struct{} // one token per encoder in use
}

func init() { encoderPool.slots = make(chan struct{}, runtime.GOMAXPROCS(0)) }

// getEncoder returns an encoder for PNG deflate level (normalised as
// newPNGEncoder does), waiting while every slot is in use; give it back
// with putEncoder.
func getEncoder(level int) *encoder {
	encoderPool.slots <- struct{}{}
	return takeEncoder(level)
}

// tryGetEncoder is getEncoder without waiting: nil when every slot is in
// use. Extra workers of one flush use it, so that flushes holding one
// encoder never wait for each other's.
func tryGetEncoder(level int) *encoder {
	select {
	case encoderPool.slots <- struct{}{}:
		return takeEncoder(level)
	default:
		return nil
	}
}

func takeEncoder(level int) *encoder {
	if level < zlib.BestSpeed || level > zlib.BestCompression {
		level = zlib.BestSpeed
	}
	encoderPool.mu.Lock()
	free := encoderPool.free[level]
	if n := len(free); n > 0 {
		enc := free[n-1]
		free[n-1] = nil
		encoderPool.free[level] = free[:n-1]
		encoderPool.mu.Unlock()
		return enc
	}
	encoderPool.mu.Unlock()
	return &encoder{png: newPNGEncoder(level)}
}

func putEncoder(enc *encoder) {
	now := encoderNow()
	enc.idleSince = now
	encoderPool.mu.Lock()
	free := encoderPool.free[enc.png.level]
	// Encoders idle for encoderIdle are dropped: a burst of parallel work
	// (a connection's first screen, a full-screen redraw) would otherwise
	// leave every worker's state (about half a megabyte each) behind for
	// good, though steady updates need one or two. The list is in order
	// of return, so the idle ones are at the front.
	n := 0
	for n < len(free) && now.Sub(free[n].idleSince) >= encoderIdle {
		n++
	}
	if n > 0 {
		m := copy(free, free[n:])
		clear(free[m:])
		free = free[:m]
	}
	if len(free) < cap(encoderPool.slots) {
		free = append(free, enc)
	}
	encoderPool.free[enc.png.level] = free
	encoderPool.mu.Unlock()
	<-encoderPool.slots
}

// encoderIdle is how long a free encoder is kept unused; encoderNow is
// the clock, replaced in tests.
var (
	encoderIdle = 2 * time.Second
	encoderNow  = time.Now
)

// committer receives encoded jobs in job order: out is job i's image,
// valid only during the call.
type committer interface {
	commitJob(i int, out []byte)
}

// workers encodes jobs on up to GOMAXPROCS goroutines, as many as there
// are free encoders. Goroutines and encoders are held only for one run, so
// an Engine needs no Close.
type workers struct {
	encs []*encoder
	wg   sync.WaitGroup
	// Commits happen in job order, since images may overlap: a worker
	// that finished job i waits under mu until next is i.
	mu   sync.Mutex
	turn sync.Cond
	next int
}

// run encodes every job from img, in parallel when the work is big enough,
// and hands each image to c in job order.
func (w *workers) run(img *rgb.Image, jobs []job, level int, c committer) {
	pixels := 0
	for i := range jobs {
		pixels += jobs[i].r.Dx() * jobs[i].r.Dy()
	}
	n := min(runtime.GOMAXPROCS(0), len(jobs))
	if pixels < parallelMinPixels || n < 2 {
		enc := getEncoder(level)
		for i := range jobs {
			c.commitJob(i, enc.encode(img, &jobs[i]))
		}
		putEncoder(enc)
		return
	}
	w.encs = append(w.encs[:0], getEncoder(level))
	for range n - 1 {
		enc := tryGetEncoder(level)
		if enc == nil {
			break // the other cores are busy with other connections
		}
		w.encs = append(w.encs, enc)
	}
	w.turn.L = &w.mu
	w.next = 0
	var claim atomic.Int64
	for _, enc := range w.encs[1:] {
		w.wg.Go(func() { w.drain(enc, img, jobs, &claim, c) })
	}
	w.drain(w.encs[0], img, jobs, &claim, c)
	w.wg.Wait()
	for i, enc := range w.encs {
		putEncoder(enc)
		w.encs[i] = nil
	}
}

// drain encodes jobs until none is left, committing each in its turn.
func (w *workers) drain(enc *encoder, img *rgb.Image, jobs []job, claim *atomic.Int64, c committer) {
	for {
		i := int(claim.Add(1) - 1)
		if i >= len(jobs) {
			return
		}
		out := enc.encode(img, &jobs[i])
		w.mu.Lock()
		for w.next != i {
			w.turn.Wait()
		}
		c.commitJob(i, out)
		w.next++
		w.turn.Broadcast()
		w.mu.Unlock()
	}
}

// encode encodes j into enc.out and returns it.
func (enc *encoder) encode(img *rgb.Image, j *job) []byte {
	switch j.kind {
	case kindJPEG:
		enc.out = enc.jpeg.encode(enc.out[:0], img, j.r, j.quality)
	case kindWebP:
		enc.out = enc.webp.encode(enc.out[:0], img, j.r, j.quality)
	default:
		enc.out = enc.png.encode(enc.out[:0], img, j.r)
	}
	return enc.out
}

// photoLike reports whether r looks like a photo rather than text or UI,
// by guacd's measure: fewer than four equal horizontal neighbours per
// differing one. A sample of rows is enough to tell.
func photoLike(img *rgb.Image, r image.Rectangle) bool {
	same, diff := 0, 0
	n := 3 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y += sampleRows {
		o := img.PixOffset(r.Min.X, y)
		row := img.Pix[o : o+n]
		for x := 3; x < n; x += 3 {
			if row[x] == row[x-3] && row[x+1] == row[x-2] && row[x+2] == row[x-1] {
				same++
			} else {
				diff++
			}
		}
	}
	return same < 4*diff
}
