package display

import (
	"hash/maphash"
	"image"
)

// What clients show is kept as one 64-bit hash per tile-wide row segment
// (a row of pixels within one tile column) instead of a second copy of the
// framebuffer: 8 bytes per 64 pixels rather than 256, which is most of the
// memory of an idle connection. A hash of 0 means "unknown": the segment
// is sent again.

// segSeed is fixed for the process so that hashes stay comparable.
var segSeed = maphash.MakeSeed()

// segBounds is the x range of tile column tx.
func (e *Engine) segBounds(tx int) (x0, x1 int) {
	x0 = tx * TileSize
	return x0, min(x0+TileSize, e.fb.Rect.Dx())
}

// segHash hashes the framebuffer's row y within tile column tx; never 0.
func (e *Engine) segHash(y, tx int) uint64 {
	x0, x1 := e.segBounds(tx)
	o := e.fb.PixOffset(x0, y)
	h := maphash.Bytes(segSeed, e.fb.Pix[o:o+3*(x1-x0)])
	if h == 0 {
		h = 1
	}
	return h
}

// shownAt is the recorded hash of row y in tile column tx.
func (e *Engine) shownAt(y, tx int) *uint64 { return &e.shown[y*e.tilesX+tx] }

// dirtyRows returns the rows of tile i where the framebuffer differs from
// what clients show, as a full-width rectangle of the tile, and records
// those rows as shown: plan turns every dirty row into an op that this
// Flush sends (rows it merges in unchanged already match), so hashing them
// once here saves a second pass after encoding.
func (e *Engine) dirtyRows(i int) image.Rectangle {
	r := e.tileRect(i)
	tx := i % e.tilesX
	minY, maxY := -1, -1
	for y := r.Min.Y; y < r.Max.Y; y++ {
		p := e.shownAt(y, tx)
		if h := e.segHash(y, tx); h != *p {
			*p = h
			if minY < 0 {
				minY = y
			}
			maxY = y
		}
	}
	if minY < 0 {
		return image.Rectangle{}
	}
	return image.Rect(r.Min.X, minY, r.Max.X, maxY+1)
}

// moveShown applies a copy of src by d to the record. Segments the copy
// covers wholly take the hash of their source segment when the move is
// vertical; other touched segments become unknown, and their tiles are
// marked damaged so that the next Flush sends them.
func (e *Engine) moveShown(src image.Rectangle, d image.Point) {
	dst := src.Add(d)
	tx0, tx1 := dst.Min.X/TileSize, (dst.Max.X+TileSize-1)/TileSize
	row := func(y int) {
		for tx := tx0; tx < tx1; tx++ {
			x0, x1 := e.segBounds(tx)
			if d.X == 0 && x0 >= dst.Min.X && x1 <= dst.Max.X {
				*e.shownAt(y, tx) = *e.shownAt(y-d.Y, tx)
				continue
			}
			*e.shownAt(y, tx) = 0
			e.damaged[(y/TileSize)*e.tilesX+tx] = true
			e.anyDamage = true
		}
	}
	// Walk against the move so overlapping source rows are read before
	// they are overwritten.
	if d.Y > 0 {
		for y := dst.Max.Y - 1; y >= dst.Min.Y; y-- {
			row(y)
		}
		return
	}
	for y := dst.Min.Y; y < dst.Max.Y; y++ {
		row(y)
	}
}

// resizeShown makes the record for a new size, keeping the rows and tile
// columns that survive with the same segment widths.
func (e *Engine) resizeShown(w, h, tx int, keep bool) []uint64 {
	shown := make([]uint64, tx*h)
	if !keep || e.shown == nil {
		return shown
	}
	oldW := e.fb.Rect.Dx()
	for y := 0; y < min(h, e.fb.Rect.Dy()); y++ {
		for c := 0; c < min(tx, e.tilesX); c++ {
			x1 := c*TileSize + TileSize
			if x1 <= oldW && x1 <= w { // same full-width segment in both
				shown[y*tx+c] = e.shown[y*e.tilesX+c]
			}
		}
	}
	return shown
}
