package display

import "image"

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
	cur   []uint64 // band hashes of the framebuffer's rows in the damage box
	old   []uint64 // band hashes of what clients show there
	table []int32  // open addressing: old hash -> row+1, -1 if repeated
	votes []int32  // per shift, indexed by dy + rows
}

// detectScroll finds a vertical shift of the damaged area between what
// clients show and the framebuffer, as when a terminal or editor scrolls
// and the producer reports plain damage. It moves those rows in the record
// of what clients show and appends the copy, so the diff that follows only
// sends what is new. A
// wrong guess costs bytes, never correctness: the diff runs afterwards.
func (e *Engine) detectScroll(dst []byte) []byte {
	box := e.damageBox()
	if box.Dx() < scrollMinWidth || box.Dy() < 2*scrollMinRows {
		return dst
	}
	s := &e.scroll
	rows := box.Dy()
	// Hash a band of tile columns only: enough to find candidate shifts,
	// and the rows of the chosen run are compared in full below. The box
	// is made of whole tiles, so the band is too.
	tx0, tx1 := box.Min.X/TileSize, (box.Max.X+TileSize-1)/TileSize
	bx0, bx1 := tx0, tx1
	if n := scrollBandWidth / TileSize; bx1-bx0 > n {
		bx0 += (bx1 - bx0 - n) / 2
		bx1 = bx0 + n
	}
	s.cur, s.old = s.cur[:0], s.old[:0]
	for y := box.Min.Y; y < box.Max.Y; y++ {
		var cur, old uint64
		for tx := bx0; tx < bx1; tx++ {
			cur = cur*0x9e3779b97f4a7c15 ^ e.segHash(y, tx)
			old = old*0x9e3779b97f4a7c15 ^ *e.shownAt(y, tx)
		}
		s.cur, s.old = append(s.cur, cur), append(s.old, old)
	}

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

	// The longest run of whole rows that match what clients show,
	// shifted by best, in every tile column of the box.
	rowsMatch := func(y int) bool {
		if y >= rows || y-best < 0 || y-best >= rows || s.cur[y] != s.old[y-best] {
			return false
		}
		for tx := tx0; tx < tx1; tx++ {
			if e.segHash(box.Min.Y+y, tx) != *e.shownAt(box.Min.Y+y-best, tx) {
				return false
			}
		}
		return true
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
	e.moveShown(src, d)
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

func abs(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
