package display

import (
	"hash/maphash"
	"image"
)

// Scroll detection limits: smaller damage is cheaper to send than to
// search, and a shorter run of moved rows does not pay for its copy.
const (
	scrollMinWidth = 256
	scrollMinRows  = 32
	// scrollBandWidth is the width, in pixels, of the column band hashed
	// to find candidate shifts.
	scrollBandWidth = 256
)

// scrollState is scratch for detectScroll.
type scrollState struct {
	seed   maphash.Seed
	cur    []uint64 // row hashes of fb within the damage box
	old    []uint64 // row hashes of prev within the damage box
	table  []int32  // open addressing: old hash -> row+1, -1 if repeated
	votes  []int32  // per shift, indexed by dy + rows
	seeded bool
}

// detectScroll finds a vertical shift of the damaged area between what
// clients show and the framebuffer, as when a terminal or editor scrolls
// and the producer reports plain damage. It moves those rows in prev and
// appends the copy, so the diff that follows only sends what is new. A
// wrong guess costs bytes, never correctness: the diff runs afterwards.
func (e *Engine) detectScroll(dst []byte) []byte {
	box := e.damageBox()
	if box.Dx() < scrollMinWidth || box.Dy() < 2*scrollMinRows {
		return dst
	}
	s := &e.scroll
	if !s.seeded {
		s.seed, s.seeded = maphash.MakeSeed(), true
	}
	rows := box.Dy()
	// Hash a band of columns only: enough to find candidate shifts, and
	// the rows of the chosen run are compared in full below.
	band := box
	if band.Dx() > scrollBandWidth {
		band.Min.X += (band.Dx() - scrollBandWidth) / 2
		band.Max.X = band.Min.X + scrollBandWidth
	}
	s.cur = hashRows(s.cur[:0], s.seed, e.fb, band)
	s.old = hashRows(s.old[:0], s.seed, e.prev, band)

	size := 1
	for size < 2*rows {
		size <<= 1
	}
	if cap(s.table) < size {
		s.table = make([]int32, size)
	}
	table := s.table[:size]
	clear(table)
	mask := uint64(size - 1)
	find := func(h uint64) int {
		i := h & mask
		for t := table[i]; t != 0; t = table[i] {
			if s.old[abs(t)-1] == h {
				return int(i)
			}
			i = (i + 1) & mask
		}
		return int(i)
	}
	for y, h := range s.old {
		i := find(h)
		switch {
		case table[i] == 0:
			table[i] = int32(y + 1)
		case table[i] > 0:
			// Repeated rows (blank lines) say nothing about the shift.
			table[i] = -table[i]
		}
	}

	if cap(s.votes) < 2*rows+1 {
		s.votes = make([]int32, 2*rows+1)
	}
	votes := s.votes[:2*rows+1]
	clear(votes)
	best, bestVotes, changed := 0, int32(0), 0
	for y, h := range s.cur {
		if h == s.old[y] {
			continue
		}
		changed++
		if t := table[find(h)]; t > 0 {
			dy := y - int(t-1)
			votes[dy+rows]++
			if votes[dy+rows] > bestVotes {
				best, bestVotes = dy, votes[dy+rows]
			}
		}
	}
	if best == 0 || int(bestVotes) < scrollMinRows/2 || int(bestVotes)*4 < changed {
		return dst
	}

	// The longest run of whole rows that match prev shifted by best.
	n := 4 * box.Dx()
	rowsMatch := func(y int) bool {
		if y >= rows || y-best < 0 || y-best >= rows || s.cur[y] != s.old[y-best] {
			return false
		}
		a := e.fb.PixOffset(box.Min.X, box.Min.Y+y)
		b := e.prev.PixOffset(box.Min.X, box.Min.Y+y-best)
		return string(e.fb.Pix[a:a+n]) == string(e.prev.Pix[b:b+n])
	}
	runStart, runLen, start := 0, 0, -1
	for y := range rows + 1 {
		match := rowsMatch(y)
		if match && start < 0 {
			start = y
		}
		if !match && start >= 0 {
			if y-start > runLen {
				runStart, runLen = start, y-start
			}
			start = -1
		}
	}
	if runLen < scrollMinRows {
		return dst
	}
	src := image.Rect(box.Min.X, box.Min.Y+runStart-best, box.Max.X, box.Min.Y+runStart-best+runLen)
	d := image.Pt(0, best)
	moveRect(e.prev, src, d)
	e.carry(e.lossy, src, d)
	e.markTiles(src.Add(d), e.damaged)
	return appendCopy(dst, move{src: src, dst: src.Min.Add(d)})
}

// damageBox is the bounding box of the damaged tiles.
func (e *Engine) damageBox() image.Rectangle {
	var box image.Rectangle
	for i, d := range e.damaged {
		if d {
			box = box.Union(e.tileRect(i))
		}
	}
	return box
}

// hashRows appends the hash of each row of img within r.
func hashRows(dst []uint64, seed maphash.Seed, img *image.RGBA, r image.Rectangle) []uint64 {
	n := 4 * r.Dx()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		o := img.PixOffset(r.Min.X, y)
		dst = append(dst, maphash.Bytes(seed, img.Pix[o:o+n]))
	}
	return dst
}

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
