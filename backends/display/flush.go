package display

import (
	"image"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// Flush appends to dst the instructions that bring clients from the state
// of the previous Flush to the current framebuffer: resizes and copies in
// the order they happened, then fills and images, then the cursor. It
// appends no sync. lag is the clients' processing lag, which lowers JPEG
// quality as in guacd.
func (e *Engine) Flush(dst []byte, lag time.Duration) []byte {
	now := e.now().UnixNano()
	for _, m := range e.moves {
		if m.size != (image.Point{}) {
			dst = protocol.AppendSize(dst, 0, m.size.X, m.size.Y)
		} else {
			dst = appendCopy(dst, m)
		}
	}
	e.moves = e.moves[:0]
	if e.anyDamage {
		dst = e.detectScroll(dst)
	}
	e.plan(now)
	e.spill = e.opts.Spill
	dst = e.emit(dst, lag)
	e.spill = nil
	clear(e.damaged)
	e.anyDamage = false
	if e.cursorPending {
		dst = e.appendCursor(dst)
		e.cursorPending = false
	}
	return dst
}

// screenMode composites everything drawn on layer 0. The screen is opaque,
// so OVER gives the same pixels as SRC; but browsers implement SRC as the
// canvas "copy" operation, which clears the whole layer outside what is
// drawn (guacamole-common-js maps mask 12 to it), so SRC would wipe the
// rest of the screen.
const screenMode = protocol.ModeOver

func appendCopy(dst []byte, c move) []byte {
	return protocol.AppendCopy(dst, 0, c.src.Min.X, c.src.Min.Y, c.src.Dx(), c.src.Dy(),
		screenMode, 0, c.dst.X, c.dst.Y)
}

// emit appends the planned operations and makes prev match fb on them.
func (e *Engine) emit(dst []byte, lag time.Duration) []byte {
	quality := e.quality(lag)
	e.jobs = e.jobs[:0]
	for i := range e.ops {
		o := &e.ops[i]
		if o.kind == opFill {
			dst = protocol.AppendRect(dst, 0, o.r.Min.X, o.r.Min.Y, o.r.Dx(), o.r.Dy())
			dst = protocol.AppendCfill(dst, screenMode, 0, o.color[0], o.color[1], o.color[2], 0xff)
			continue
		}
		// Text with few colours passes the photo test when glyphs are
		// dense, but an indexed PNG of it is small: keep it lossless.
		kind := kindPNG
		if !e.opts.Lossless && !o.refresh && o.fps >= jpegMinFPS &&
			o.r.Dx()*o.r.Dy() > jpegMinArea && photoLike(e.fb, o.r) &&
			!e.fewColors(o.r) {
			kind = kindJPEG
			if e.opts.WebP {
				kind = kindWebP
			}
		}
		o.firstJob = len(e.jobs)
		e.jobs = appendSplit(e.jobs, o.r, job{kind: kind, quality: quality})
	}
	dst = e.encodeJobs(dst)
	// Lossiness is tracked per tile: only a lossless op covering a whole
	// tile cleans it, and a lossy image taints every tile it touches even
	// if a lossless op covers it too, since ops may overlap and images are
	// drawn after fills.
	for i := range e.ops {
		o := &e.ops[i]
		if o.kind == opFill || e.jobs[o.firstJob].kind == kindPNG {
			e.cleanTiles(o.r)
		}
	}
	for i := range e.jobs {
		if e.jobs[i].kind != kindPNG {
			e.markTiles(e.jobs[i].r, e.lossy)
		}
	}
	return dst
}

// cleanTiles clears the lossy flag of the tiles lying wholly inside r.
func (e *Engine) cleanTiles(r image.Rectangle) {
	for ty := r.Min.Y / TileSize; ty <= (r.Max.Y-1)/TileSize; ty++ {
		for tx := r.Min.X / TileSize; tx <= (r.Max.X-1)/TileSize; tx++ {
			i := ty*e.tilesX + tx
			if e.lossy[i] && e.tileRect(i).In(r) {
				e.lossy[i] = false
			}
		}
	}
}

// quality is the JPEG or WebP quality for the given lag, as guacd
// computes it.
func (e *Engine) quality(lag time.Duration) int {
	if e.opts.JPEGQuality > 0 {
		return min(e.opts.JPEGQuality, 100)
	}
	return min(max(90-int(lag/time.Millisecond-20), 30), 90)
}

// appendCursor sends the cursor image to buffer layer -1 and points the
// cursor at it.
func (e *Engine) appendCursor(dst []byte) []byte {
	img := e.cursorImg
	if img == nil {
		// A fully transparent 1x1 image hides the pointer.
		img = image.NewRGBA(image.Rect(0, 0, 1, 1))
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	stream := e.opts.ImageStream
	enc := getEncoder(e.opts.CompressLevel)
	defer putEncoder(enc)
	// PNG stores straight alpha; the framebuffer is premultiplied.
	straight := image.NewRGBA(img.Rect)
	for i := 0; i < len(img.Pix); i += 4 {
		a := uint32(img.Pix[i+3])
		straight.Pix[i+3] = byte(a)
		if a == 0 {
			continue
		}
		for c := 0; c < 3; c++ {
			straight.Pix[i+c] = byte(min(uint32(img.Pix[i+c])*255/a, 255))
		}
	}
	data := enc.png.encodeRGBA(nil, straight)
	dst = protocol.AppendSize(dst, cursorLayer, w, h)
	dst = protocol.AppendImg(dst, stream, protocol.ModeSrc, cursorLayer, "image/png", 0, 0)
	dst = protocol.AppendBlob(dst, stream, data)
	dst = protocol.AppendEnd(dst, stream)
	return protocol.AppendCursor(dst, e.cursorHot.X, e.cursorHot.Y, cursorLayer, 0, 0, w, h)
}

// cursorLayer is the buffer holding the cursor image.
const cursorLayer = -1

// fewColors reports whether r holds at most 256 colours: an indexed PNG of
// it beats JPEG.
func (e *Engine) fewColors(r image.Rectangle) bool {
	enc := getEncoder(e.opts.CompressLevel)
	defer putEncoder(enc)
	return enc.png.fewColors(e.fb, r)
}
