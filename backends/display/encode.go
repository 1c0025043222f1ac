package display

import (
	"image"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/klauspost/compress/zlib"

	"github.com/goguacd/goguacd/protocol"
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

	maxJobPixels      = 128 << 10
	parallelMinPixels = 64 << 10

	// Lossy strips are smaller: the JPEG encoder keeps a strip's Huffman
	// symbols (4 bytes each, 0.4 per pixel on the benchmark photo at q90,
	// up to 1.5 reserved) for its optimised tables, per encoder. A 64K-pixel strip costs one more
	// header per strip (1.3% more bytes on the 640x360 video benchmark) and
	// saves that memory twice over.
	maxLossyJobPixels = 64 << 10
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
	out     []byte
}

// appendJob appends j to jobs, reusing the output buffer left in the slot
// by an earlier flush.
func appendJob(jobs []job, j job) []job {
	if len(jobs) < cap(jobs) {
		jobs = jobs[:len(jobs)+1]
		j.out = jobs[len(jobs)-1].out[:0]
		jobs[len(jobs)-1] = j
		return jobs
	}
	return append(jobs, j)
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
		jobs = appendJob(jobs, j)
	}
	return jobs
}

// encoder holds one worker's reusable encoding state.
type encoder struct {
	png  *pngEncoder
	jpeg jpegEncoder
	webp webpEncoder
}

// encoderPool shares encoders among every engine of the process, per
// deflate level: an encoder's state is megabytes (deflate window and hash
// table, JPEG coefficients), and an idle connection should hold none. At
// most GOMAXPROCS encoders exist in use at once, which makes it the
// bounded worker pool of the whole process: connections flushing together
// take turns for the cores instead of each growing its own encoders, and
// the free list keeps as many, so steady-state frames allocate nothing.
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
	encoderPool.mu.Lock()
	if free := encoderPool.free[enc.png.level]; len(free) < cap(encoderPool.slots) {
		encoderPool.free[enc.png.level] = append(free, enc)
	}
	encoderPool.mu.Unlock()
	<-encoderPool.slots
}

// workers encodes jobs on up to GOMAXPROCS goroutines, as many as there
// are free encoders. Goroutines and encoders are held only for one run, so
// an Engine needs no Close.
type workers struct {
	encs []*encoder
	wg   sync.WaitGroup
}

// run encodes every job from img, in parallel when the work is big enough.
func (w *workers) run(img *image.RGBA, jobs []job, level int) {
	pixels := 0
	for i := range jobs {
		pixels += jobs[i].r.Dx() * jobs[i].r.Dy()
	}
	n := min(runtime.GOMAXPROCS(0), len(jobs))
	if pixels < parallelMinPixels || n < 2 {
		enc := getEncoder(level)
		for i := range jobs {
			enc.encode(img, &jobs[i])
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
	var next atomic.Int64
	for _, enc := range w.encs[1:] {
		w.wg.Go(func() { enc.drain(img, jobs, &next) })
	}
	w.encs[0].drain(img, jobs, &next)
	w.wg.Wait()
	for i, enc := range w.encs {
		putEncoder(enc)
		w.encs[i] = nil
	}
}

// drain encodes jobs until none is left.
func (enc *encoder) drain(img *image.RGBA, jobs []job, next *atomic.Int64) {
	for {
		i := int(next.Add(1) - 1)
		if i >= len(jobs) {
			return
		}
		enc.encode(img, &jobs[i])
	}
}

func (enc *encoder) encode(img *image.RGBA, j *job) {
	if j.out == nil {
		j.out = protocol.GetBuffer(0)
	}
	switch j.kind {
	case kindJPEG:
		j.out = enc.jpeg.encode(j.out[:0], img, j.r, j.quality)
	case kindWebP:
		j.out = enc.webp.encode(j.out[:0], img, j.r, j.quality)
	default:
		j.out = enc.png.encode(j.out[:0], img, j.r, false)
	}
}

// photoLike reports whether r looks like a photo rather than text or UI,
// by guacd's measure: fewer than four equal horizontal neighbours per
// differing one. A sample of rows is enough to tell.
func photoLike(img *image.RGBA, r image.Rectangle) bool {
	same, diff := 0, 0
	n := 4 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y += sampleRows {
		o := img.PixOffset(r.Min.X, y)
		row := img.Pix[o : o+n]
		for x := 4; x < n; x += 4 {
			if row[x] == row[x-4] && row[x+1] == row[x-3] && row[x+2] == row[x-2] {
				same++
			} else {
				diff++
			}
		}
	}
	return same < 4*diff
}
