package term

// line is one grid row.
type line struct {
	cells []Cell
	// wrapped is set when text ran past the right edge onto the next row,
	// so selections join the two rows without a newline.
	wrapped bool
}

func newLine(cols int, bg Color) line {
	l := line{cells: make([]Cell, cols)}
	l.clear(bg)
	return l
}

func newScreen(cols, rows int) []line {
	s := make([]line, rows)
	for i := range s {
		s[i] = newLine(cols, DefaultColor)
	}
	return s
}

// clear blanks the whole row.
func (l *line) clear(bg Color) {
	fill(l.cells, blank(bg))
	l.wrapped = false
}

func fill(cells []Cell, c Cell) {
	if len(cells) == 0 {
		return
	}
	cells[0] = c
	// Doubling copies are much faster than a per-cell loop on wide rows.
	for n := 1; n < len(cells); n *= 2 {
		copy(cells[n:], cells[:n])
	}
}

// fit resizes the row to cols cells, blank-padding or truncating; a wide
// character cut in half at the new edge is blanked.
func (l *line) fit(cols int) {
	n := len(l.cells)
	switch {
	case n == cols:
		return
	case n > cols:
		l.cells = l.cells[:cols]
		if cols > 0 && l.cells[cols-1].Width == 2 {
			l.cells[cols-1] = blank(l.cells[cols-1].BG)
		}
	case cap(l.cells) >= cols:
		l.cells = l.cells[:cols]
		fill(l.cells[n:], blank(DefaultColor))
	default:
		c := make([]Cell, cols)
		copy(c, l.cells)
		fill(c[n:], blank(DefaultColor))
		l.cells = c
	}
}

func (l *line) isBlank() bool {
	for _, c := range l.cells {
		if c.Rune != 0 && c.Rune != ' ' || !c.BG.IsDefault() {
			return false
		}
	}
	return true
}

// text returns the characters of cells [x0, x1), skipping the right halves
// of wide characters; trim drops trailing blanks.
func (l *line) text(x0, x1 int, t *Terminal, trim bool) []byte {
	x1 = min(x1, len(l.cells))
	var b []byte
	end := 0
	for x := max(x0, 0); x < x1; x++ {
		c := l.cells[x]
		if c.Width == 0 {
			continue
		}
		r := c.Rune
		if r == 0 {
			r = ' '
		}
		b = appendRune(b, r)
		if c.comb != 0 {
			b = append(b, t.Combining(c)...)
		}
		if r != ' ' {
			end = len(b)
		}
	}
	if trim {
		b = b[:end]
	}
	return b
}

func appendRune(b []byte, r rune) []byte {
	if r < 0x80 {
		return append(b, byte(r))
	}
	return append(b, string(r)...)
}

// ring is the scrollback: a fixed-capacity ring of rows that recycles the
// evicted row's cell storage, so steady-state scrolling allocates nothing.
type ring struct {
	buf   []line
	start int
	n     int
	max   int
}

// at returns the i-th oldest row.
func (r *ring) at(i int) *line {
	return &r.buf[(r.start+i)%len(r.buf)]
}

// push stores l as the newest row and returns storage the caller may reuse
// (the evicted oldest row when full), or a zero line.
func (r *ring) push(l line) line {
	if r.max == 0 {
		return l
	}
	if r.n < r.max {
		if len(r.buf) < r.max {
			r.buf = append(r.buf, l)
		} else {
			r.buf[(r.start+r.n)%len(r.buf)] = l
		}
		r.n++
		return line{}
	}
	old := r.buf[r.start]
	r.buf[r.start] = l
	r.start = (r.start + 1) % len(r.buf)
	return old
}

// pushHistory moves a row into scrollback.
func (t *Terminal) pushHistory(l line) line {
	if t.sb.max == 0 {
		return l
	}
	t.sbTotal++
	r := t.sb.push(l)
	if t.view > 0 {
		// Keep a scrolled-back view on the same text while output arrives.
		t.view = min(t.view+1, t.sb.n)
	}
	return r
}
