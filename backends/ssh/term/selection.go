package term

// SelectMode is the granularity of a selection.
type SelectMode uint8

// Selection granularities: drag, double click, triple click, and the
// rectangular block guacd selects when Alt is held at the start.
const (
	SelectChar SelectMode = iota
	SelectWord
	SelectLine
	SelectBlock
)

// selection endpoints are absolute rows (see absLine) so a selection stays
// on its text while output scrolls.
type selection struct {
	active         bool
	mode           SelectMode
	ax, ay, hx, hy int // anchor and head; x is a cell column
}

// absRow converts view row y to an absolute row number.
func (t *Terminal) absRow(y int) int {
	if t.altOn {
		return t.sbTotal + y
	}
	return t.sbTotal - t.view + y
}

// SelectStart begins a selection at view cell (x, y).
func (t *Terminal) SelectStart(x, y int, mode SelectMode) {
	t.damageSelection()
	t.sel = selection{active: true, mode: mode, ax: x, ay: t.absRow(y), hx: x, hy: t.absRow(y)}
	t.damageSelection()
}

// SelectExtend moves the selection's free end to view cell (x, y).
func (t *Terminal) SelectExtend(x, y int) {
	if !t.sel.active {
		return
	}
	t.damageSelection()
	t.sel.hx, t.sel.hy = x, t.absRow(y)
	t.damageSelection()
}

// ClearSelection removes the selection.
func (t *Terminal) ClearSelection() {
	if t.sel.active {
		t.damageSelection()
		t.sel.active = false
	}
}

// span returns the normalised selection [(x0,y0), (x1,y1)] inclusive in
// absolute rows, expanded for word and line modes.
func (t *Terminal) span() (x0, y0, x1, y1 int) {
	s := t.sel
	x0, y0, x1, y1 = s.ax, s.ay, s.hx, s.hy
	if y1 < y0 || y1 == y0 && x1 < x0 {
		x0, y0, x1, y1 = x1, y1, x0, y0
	}
	switch s.mode {
	case SelectBlock:
		x0, x1 = min(x0, x1), max(x0, x1)
	case SelectWord:
		x0 = t.wordEdge(y0, x0, -1)
		x1 = t.wordEdge(y1, x1, 1)
	case SelectLine:
		for y0 > t.sbTotal-t.sb.n && t.absLine(y0-1).wrapped {
			y0--
		}
		for y1 < t.sbTotal+t.rows-1 && t.absLine(y1).wrapped {
			y1++
		}
		x0, x1 = 0, t.cols-1
	}
	return x0, y0, x1, y1
}

// wordEdge walks from x in direction dir while the cells hold word
// characters of the same class as the starting cell.
func (t *Terminal) wordEdge(y, x, dir int) int {
	cells := t.absLine(y).cells
	if x < 0 || x >= len(cells) {
		return x
	}
	class := charClass(cells[x].Rune)
	for {
		n := x + dir
		if n < 0 || n >= len(cells) {
			return x
		}
		if cells[n].Width == 0 { // the right half of a wide character
			x = n
			continue
		}
		if charClass(cells[n].Rune) != class {
			return x
		}
		x = n
	}
}

// charClass groups characters for double-click word selection: blanks,
// word characters (including the punctuation common in paths and URLs),
// and everything else.
func charClass(r rune) int {
	switch {
	case r == 0 || r == ' ' || r == '\t':
		return 0
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r >= 0x80:
		return 1
	}
	switch r {
	case '_', '-', '.', '/', '~', ':', '@', '%', '+', '#', '?', '=', '&':
		return 1
	}
	return 2
}

// SelectionSpan returns the selected columns [x0, x1) of view row y.
func (t *Terminal) SelectionSpan(y int) (x0, x1 int, ok bool) {
	if !t.sel.active {
		return 0, 0, false
	}
	sx0, sy0, sx1, sy1 := t.span()
	a := t.absRow(y)
	if a < sy0 || a > sy1 {
		return 0, 0, false
	}
	x0, x1 = 0, t.cols
	if a == sy0 || t.sel.mode == SelectBlock {
		x0 = max(sx0, 0)
	}
	if a == sy1 || t.sel.mode == SelectBlock {
		x1 = min(sx1+1, t.cols)
	}
	return x0, x1, x0 < x1
}

// SelectionText returns the selected text. Rows that wrapped are joined
// without a newline; trailing blanks up to the right edge are dropped.
func (t *Terminal) SelectionText() string {
	if !t.sel.active {
		return ""
	}
	x0, y0, x1, y1 := t.span()
	y0 = max(y0, t.sbTotal-t.sb.n)
	var out []byte
	for y := y0; y <= y1; y++ {
		l := t.absLine(y)
		from, to := 0, len(l.cells)
		block := t.sel.mode == SelectBlock
		if y == y0 || block {
			from = x0
		}
		if y == y1 || block {
			to = x1 + 1
		}
		joined := l.wrapped && y != y1 && !block
		// Trailing blanks are padding when the selection runs to the edge, and
		// always in a block.
		out = append(out, l.text(from, to, t, block || !joined && to >= len(l.cells))...)
		if y != y1 && !joined {
			out = append(out, '\n')
		}
	}
	return string(out)
}

// damageSelection marks the visible rows the selection covers.
func (t *Terminal) damageSelection() {
	if !t.sel.active {
		return
	}
	_, y0, _, y1 := t.span()
	for y := range t.rows {
		if a := t.absRow(y); a >= y0 && a <= y1 {
			t.damage[y] = true
		}
	}
}
