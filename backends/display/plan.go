package display

import (
	"encoding/binary"
	"image"

	"github.com/goguacd/goguacd/backends/rgb"
)

// opKind says how an op is drawn.
type opKind uint8

const (
	opImage opKind = iota // PNG or JPEG
	opFill                // rect + cfill of one colour
)

// op is one planned drawing operation on layer 0.
type op struct {
	r        image.Rectangle
	kind     opKind
	color    [3]uint8 // opFill
	fps      float64  // opImage: lowest update rate among its tiles
	refresh  bool     // opImage: must be lossless (lossy refresh)
	firstJob int      // opImage: index of its first encode job
}

// mergeBaseCost is the fixed cost of an extra operation in pixels, as in
// guacd (GUAC_DISPLAY_BASE_COST): instruction overhead, image headers and
// a worse compression start are worth about a 64x64 area.
const mergeBaseCost = 4096

func cost(r image.Rectangle) int { return mergeBaseCost + r.Dx()*r.Dy() }

// plan fills e.ops with the fills and images that cover every pixel where
// fb differs from prev, plus the lossy tiles due for refresh. It works
// tile by tile, merging horizontally within a tile row and then with ops
// that reach the row above when the merged op costs no more than both.
func (e *Engine) plan(now int64) {
	e.ops = e.ops[:0]
	open := 0 // e.ops[open:] reach the tile row above the current one
	for ty := 0; ty < e.tilesY; ty++ {
		rowStart := len(e.ops)
		for tx := 0; tx < e.tilesX; tx++ {
			i := ty*e.tilesX + tx
			var o op
			switch {
			case e.damaged[i]:
				updates := max(e.updates[i], 1)
				e.updates[i] = 0
				o.r = e.dirtyRows(i)
				if o.r.Empty() {
					if !e.lossy[i] || now-e.lastDirty[i] < int64(RefreshDelay) {
						continue
					}
					o.r, o.refresh = e.tileRect(i), true
				} else {
					if last := e.lastDirty[i]; last != 0 && now > last {
						o.fps = float64(updates) * 1e9 / float64(now-last)
					}
					e.lastDirty[i] = now
				}
			case e.lossy[i] && now-e.lastDirty[i] >= int64(RefreshDelay):
				o.r, o.refresh = e.tileRect(i), true
			default:
				continue
			}
			if c, ok := solidColor(e.fb, o.r); ok {
				o.kind, o.color = opFill, c
			}
			e.addHorizontal(o, rowStart)
		}
		open = e.mergeVertical(open, rowStart, ty*TileSize)
	}
}

// addHorizontal appends o to the current row, merging it into the row's
// last op when that is cheaper.
func (e *Engine) addHorizontal(o op, rowStart int) {
	if n := len(e.ops); n > rowStart {
		if last := &e.ops[n-1]; canMerge(last, &o, true) {
			merge(last, &o)
			return
		}
	}
	e.ops = append(e.ops, o)
}

// canMerge reports whether b may be folded into a. Fills merge only into
// a fill of the same colour whose union is exactly the two rectangles;
// images merge when one image costs no more than two.
func canMerge(a, b *op, horizontal bool) bool {
	if a.kind != b.kind {
		return false
	}
	if a.kind == opFill {
		if a.color != b.color {
			return false
		}
		if horizontal {
			return a.r.Min.Y == b.r.Min.Y && a.r.Max.Y == b.r.Max.Y && a.r.Max.X == b.r.Min.X
		}
		return a.r.Min.X == b.r.Min.X && a.r.Max.X == b.r.Max.X && a.r.Max.Y == b.r.Min.Y
	}
	return cost(a.r.Union(b.r)) <= cost(a.r)+cost(b.r)
}

func merge(a, b *op) {
	a.r = a.r.Union(b.r)
	a.fps = min(a.fps, b.fps)
	a.refresh = a.refresh || b.refresh
}

// mergeVertical folds the ops of the current row (e.ops[rowStart:], whose
// top is rowTop) into ops reaching the row above (among e.ops[open:rowStart])
// where allowed, removing them from the current row. It returns the new
// open index: ops before it do not reach the current row.
func (e *Engine) mergeVertical(open, rowStart, rowTop int) int {
	w := rowStart
	for i := rowStart; i < len(e.ops); i++ {
		b := e.ops[i]
		merged := false
		for j := open; j < rowStart; j++ {
			if a := &e.ops[j]; a.r.Max.Y > rowTop-TileSize && canMerge(a, &b, false) {
				merge(a, &b)
				merged = true
				break
			}
		}
		if !merged {
			e.ops[w] = b
			w++
		}
	}
	e.ops = e.ops[:w]
	for open < rowStart && e.ops[open].r.Max.Y <= rowTop {
		open++
	}
	return open
}

// solidColor reports whether every pixel of r has one RGB colour.
func solidColor(img *rgb.Image, r image.Rectangle) ([3]uint8, bool) {
	o := img.PixOffset(r.Min.X, r.Min.Y)
	p := img.Pix[o:]
	c := [3]uint8{p[0], p[1], p[2]}
	// Twelve bytes hold four pixels: compare three words at a time.
	var ref [3]uint32
	for i := range ref {
		ref[i] = uint32(c[(i*4)%3]) | uint32(c[(i*4+1)%3])<<8 | uint32(c[(i*4+2)%3])<<16 | uint32(c[(i*4+3)%3])<<24
	}
	n := 3 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		row := img.Pix[o : o+n]
		x := 0
		for ; x+12 <= n; x += 12 {
			if binary.LittleEndian.Uint32(row[x:]) != ref[0] || binary.LittleEndian.Uint32(row[x+4:]) != ref[1] || binary.LittleEndian.Uint32(row[x+8:]) != ref[2] {
				return c, false
			}
		}
		for ; x < n; x += 3 {
			if row[x] != c[0] || row[x+1] != c[1] || row[x+2] != c[2] {
				return c, false
			}
		}
	}
	return c, true
}
