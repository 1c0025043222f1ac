// Package display turns a server-side framebuffer into Guacamole drawing
// instructions: copy for moved pixels, rect+cfill for solid areas, and PNG
// or JPEG images for the rest, sent only where pixels really changed. It
// appends bytes and does no I/O; an Engine is not safe for concurrent use.
package display

import (
	"image"
	"time"

	"github.com/goguacd/goguacd/backends/rgb"
)

// MaxSize caps the screen width and height, as guacd does
// (GUAC_DISPLAY_MAX_WIDTH/HEIGHT): a hostile server cannot make us
// allocate more than 8192x8192 pixels.
const MaxSize = 8192

// TileSize is the edge of the square tiles the screen is compared in.
const TileSize = 64

// RefreshDelay is how long an area sent as JPEG must stay unchanged before
// a Flush re-sends it losslessly. Backends whose producer goes idle should
// call Flush once more after this delay when Dirty reports true.
const RefreshDelay = 300 * time.Millisecond

// Options tune the encoder choice.
type Options struct {
	// Lossless forbids JPEG and WebP: every image is PNG.
	Lossless bool
	// WebP sends as lossy WebP what would otherwise be JPEG, as guacd
	// does when every connected user accepts image/webp; see SetWebP.
	WebP bool
	// JPEGQuality fixes the JPEG and WebP quality (1-100); 0 derives it
	// from the lag passed to Flush as guacd does: clamp(90-(lag-20ms),
	// 30, 90).
	JPEGQuality int
	// CompressLevel is the deflate level for PNG (1-9); 0 means 1, the
	// fastest, which is what live screen updates want.
	CompressLevel int
	// ImageStream is the stream index used for img streams; 0 means 1.
	// Each image is opened and ended before the next, so one index does;
	// the caller must not use it for anything else.
	ImageStream int
	// Spill, if set, receives the frame Flush has built so far whenever
	// appending the next image would take it past SpillBytes, and returns
	// the buffer to go on appending to (its result may be nil). Backends
	// pass their display's WriteFrame: users get a big frame in pieces of
	// whole instructions, ended by the sync sent after Flush as before, and
	// a full-screen frame never sits whole in memory while the previous
	// one is still being written.
	Spill func(part []byte) []byte
}

// SpillBytes is the frame size past which Flush hands the frame so far to
// Options.Spill. It is well above protocol.KeepBytes, so that pieces are
// passed on rather than copied.
const SpillBytes = 128 << 10

// Engine holds a framebuffer, a copy of what clients currently show, and
// the changes pending for the next Flush.
type Engine struct {
	opts Options
	fb   *rgb.Image // what the producer draws into
	// shown records what clients show once pending moves are applied,
	// as a hash per tile-wide row segment (see shown.go).
	shown []uint64

	tilesX, tilesY int
	damaged        []bool  // per tile: pixels may differ from what clients show
	lossy          []bool  // per tile: clients show a JPEG approximation
	lastDirty      []int64 // per tile: UnixNano of the last flush that changed it
	// updates counts, per tile, the source updates that damaged it since
	// it was last planned; seen is the last of them (see EndUpdate).
	updates   []uint16
	seen      []uint32
	gen       uint32
	anyDamage bool

	// moves are the pending copies and resizes, in the order they
	// happened: a copy made before a resize refers to the old size.
	moves []move

	cursorHot     image.Point
	cursorImg     *image.RGBA
	cursorPending bool
	cursorSet     bool // SetCursor was called: joiners need the cursor

	now    func() time.Time
	work   workers
	scroll scrollState

	// frame is the frame being appended to while jobs are encoded; spill
	// is opts.Spill during Flush.
	frame []byte
	spill func([]byte) []byte

	// Scratch reused across flushes.
	ops   []op
	jobs  []job
	moved []image.Rectangle
}

// move is a pending copy within layer 0 or, if size is not zero, a resize.
type move struct {
	src  image.Rectangle
	dst  image.Point
	size image.Point
}

// New returns an engine for a w x h screen (clamped to 1..MaxSize),
// initially opaque black.
// Clients are assumed to start from a blank layer, so the first Flush
// sends the size and the whole screen.
func New(w, h int, opts Options) *Engine {
	e := newEngine(opts)
	e.resize(w, h, false)
	return e
}

// NewFor returns an engine whose framebuffer is img (at most MaxSize), for
// a producer that decodes into its own buffer (an RFB client): the engine
// allocates no framebuffer of its own. See UseImage.
func NewFor(img *rgb.Image, opts Options) *Engine {
	e := newEngine(opts)
	e.setImage(img, false)
	return e
}

func newEngine(opts Options) *Engine {
	e := &Engine{opts: opts, now: time.Now}
	if e.opts.ImageStream == 0 {
		e.opts.ImageStream = 1
	}
	return e
}

// SetWebP sets Options.WebP, for backends whose users come and go: on
// only while every user accepts image/webp. It applies from the next Flush.
func (e *Engine) SetWebP(on bool) { e.opts.WebP = on }

// Image returns the framebuffer producers draw into. After Resize the
// caller must fetch it again.
func (e *Engine) Image() *rgb.Image { return e.fb }

// Damage records that pixels within r may have changed.
func (e *Engine) Damage(r image.Rectangle) {
	r = r.Intersect(e.fb.Rect)
	if r.Empty() {
		return
	}
	e.anyDamage = true
	for ty := r.Min.Y / TileSize; ty <= (r.Max.Y-1)/TileSize; ty++ {
		for tx := r.Min.X / TileSize; tx <= (r.Max.X-1)/TileSize; tx++ {
			i := ty*e.tilesX + tx
			e.damaged[i] = true
			if e.seen[i] != e.gen {
				e.seen[i] = e.gen
				e.updates[i] = min(e.updates[i]+1, 1<<16-1)
			}
		}
	}
}

// EndUpdate ends one source update (a VNC FramebufferUpdate), for
// producers that have them. A tile damaged by several updates between two
// flushes is changing that often even when flushes are slow (a lagging
// user, a loaded server): it keeps qualifying for JPEG rather than
// falling back to PNG, which would cost more and slow flushes further.
// Without EndUpdate each flush counts as one update, as in guacd.
func (e *Engine) EndUpdate() { e.gen++ }

// markTiles sets the flag of every tile touching r, which must lie within
// the screen.
func (e *Engine) markTiles(r image.Rectangle, flags []bool) {
	for ty := r.Min.Y / TileSize; ty <= (r.Max.Y-1)/TileSize; ty++ {
		row := flags[ty*e.tilesX:]
		for tx := r.Min.X / TileSize; tx <= (r.Max.X-1)/TileSize; tx++ {
			row[tx] = true
		}
	}
}

// tileRect is the screen area of tile i.
func (e *Engine) tileRect(i int) image.Rectangle {
	x, y := (i%e.tilesX)*TileSize, (i/e.tilesX)*TileSize
	return image.Rect(x, y, x+TileSize, y+TileSize).Intersect(e.fb.Rect)
}

// CopyRect moves the pixels of src so that its top-left corner lands on
// dst, in the framebuffer and, through a copy instruction, on clients.
// Parts outside the screen are clipped. Earlier pending damage inside src
// moves along with the pixels.
func (e *Engine) CopyRect(src image.Rectangle, dst image.Point) { e.copyRect(src, dst, true) }

// CopyApplied is CopyRect for a producer that has already moved the pixels
// in the framebuffer itself (one it shares through UseImage).
func (e *Engine) CopyApplied(src image.Rectangle, dst image.Point) { e.copyRect(src, dst, false) }

// UseImage makes img the framebuffer, for a producer that decodes into its
// own buffer (an RFB client) and replaced it, e.g. on a resize: the engine
// then keeps no copy of it. A size different from the screen's resizes the
// screen (at most MaxSize) to img's content; either way the next Flush
// sends whatever differs from what clients show. The
// producer must not write to img while Flush or AppendState runs.
func (e *Engine) UseImage(img *rgb.Image) {
	switch {
	case img == e.fb:
	case img.Rect == e.fb.Rect:
		// The new buffer's pixels may differ anywhere; comparing them with
		// what clients show sends only what really changed.
		e.fb = img
		e.Damage(img.Rect)
	default:
		e.setImage(img, true)
	}
}

func (e *Engine) copyRect(src image.Rectangle, dst image.Point, apply bool) {
	d := dst.Sub(src.Min)
	src = src.Intersect(e.fb.Rect).Intersect(e.fb.Rect.Sub(d))
	if src.Empty() || d == (image.Point{}) {
		return
	}
	if apply {
		e.fb.Move(src, src.Min.Add(d))
	}
	e.moveShown(src, d)
	// Clients copy what they show, so wherever fb and prev differed in src
	// they now differ at the destination: carry damage and lossiness over.
	e.anyDamage = e.carry(e.damaged, src, d) || e.anyDamage
	e.carry(e.lossy, src, d)
	e.moves = append(e.moves, move{src: src, dst: src.Min.Add(d)})
}

// carry sets the flags of the tiles that the flagged parts of src land on
// when moved by d, and reports whether it set any.
func (e *Engine) carry(flags []bool, src image.Rectangle, d image.Point) bool {
	e.moved = e.moved[:0]
	for i, f := range flags {
		if f {
			if r := e.tileRect(i).Intersect(src); !r.Empty() {
				e.moved = append(e.moved, r.Add(d))
			}
		}
	}
	for _, r := range e.moved {
		e.markTiles(r, flags)
	}
	return len(e.moved) > 0
}

// Resize changes the screen size, clamped to 1..MaxSize. The overlapping
// area keeps its pixels; new area is black. The framebuffer is
// replaced: fetch Image again.
func (e *Engine) Resize(w, h int) {
	if w == e.fb.Rect.Dx() && h == e.fb.Rect.Dy() {
		return
	}
	e.resize(w, h, true)
}

func (e *Engine) resize(w, h int, keep bool) {
	w, h = min(max(w, 1), MaxSize), min(max(h, 1), MaxSize)
	fb := rgb.New(image.Rect(0, 0, w, h))
	if keep {
		// Clients keep the overlapping part of a resized layer.
		fb.Copy(e.fb, fb.Rect)
	}
	e.setImage(fb, keep)
}

// setImage makes fb the framebuffer at its size. With keep, what clients
// show of the overlapping area is kept, as they keep it on a resize.
func (e *Engine) setImage(fb *rgb.Image, keep bool) {
	w, h := fb.Rect.Dx(), fb.Rect.Dy()
	if fb.Rect.Min != (image.Point{}) || w < 1 || h < 1 || w > MaxSize || h > MaxSize {
		panic("display: framebuffer not within 1..MaxSize at the origin")
	}
	tx, ty := (w+TileSize-1)/TileSize, (h+TileSize-1)/TileSize
	lossy := make([]bool, tx*ty)
	lastDirty := make([]int64, tx*ty)
	e.updates, e.seen = make([]uint16, tx*ty), make([]uint32, tx*ty)
	shown := e.resizeShown(w, h, tx, keep)
	if keep {
		r := fb.Rect.Intersect(e.fb.Rect)
		for i := range e.lossy {
			if e.lossy[i] {
				if t := e.tileRect(i).Intersect(r); !t.Empty() {
					lossy[(t.Min.Y/TileSize)*tx+t.Min.X/TileSize] = true
				}
			}
		}
	}
	e.fb, e.shown = fb, shown
	e.tilesX, e.tilesY = tx, ty
	e.damaged = make([]bool, tx*ty)
	e.lossy, e.lastDirty = lossy, lastDirty
	e.moves = append(e.moves, move{size: image.Pt(w, h)})
	e.Damage(fb.Rect)
}

// SetCursor sets the pointer image and its hotspot; img is copied. A nil
// or empty img hides the pointer.
func (e *Engine) SetCursor(hotspot image.Point, img *image.RGBA) {
	e.cursorHot = hotspot
	e.cursorImg = nil
	if img != nil && !img.Rect.Empty() {
		c := image.NewRGBA(image.Rect(0, 0, img.Rect.Dx(), img.Rect.Dy()))
		for y := 0; y < c.Rect.Dy(); y++ {
			s := img.PixOffset(img.Rect.Min.X, img.Rect.Min.Y+y)
			copy(c.Pix[c.PixOffset(0, y):c.PixOffset(0, y+1)], img.Pix[s:])
		}
		e.cursorImg = c
	}
	e.cursorPending, e.cursorSet = true, true
}

// Dirty reports whether a Flush would send anything: pending damage,
// copies, a resize, a cursor change, or a JPEG area due for its lossless
// refresh.
func (e *Engine) Dirty() bool {
	return e.anyDamage || len(e.moves) > 0 || e.cursorPending || e.refreshDue(e.now().UnixNano())
}

// refreshDue reports whether some lossy tile has been still for RefreshDelay.
func (e *Engine) refreshDue(now int64) bool {
	for i, l := range e.lossy {
		if l && now-e.lastDirty[i] >= int64(RefreshDelay) {
			return true
		}
	}
	return false
}
