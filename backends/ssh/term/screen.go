package term

// scrollUp moves rows top..bot up by n, blanking n rows at the bottom.
// With history set (primary screen, region at the top), the rows leaving
// the screen go into scrollback.
func (t *Terminal) scrollUp(top, bot, n int, history bool) {
	h := bot - top + 1
	n = min(n, h)
	if n <= 0 {
		return
	}
	ls := t.lines
	evicting := history && t.sb.n == t.sb.max
	if history && t.sb.max > 0 {
		for i := top; i < top+n; i++ {
			ls[i] = t.pushHistory(ls[i])
		}
	}
	rotateLeft(ls[top:bot+1], n)
	bg := t.cur.pen.BG
	for i := bot + 1 - n; i <= bot; i++ {
		if ls[i].cells == nil {
			ls[i] = newLine(t.cols, bg)
			continue
		}
		ls[i].fit(t.cols)
		ls[i].clear(bg)
	}
	t.afterScroll(top, bot, n, history && evicting)
}

// scrollDown moves rows top..bot down by n, blanking n rows at the top.
func (t *Terminal) scrollDown(top, bot, n int) {
	h := bot - top + 1
	n = min(n, h)
	if n <= 0 {
		return
	}
	rotateLeft(t.lines[top:bot+1], h-n)
	bg := t.cur.pen.BG
	for i := top; i < top+n; i++ {
		t.lines[i].clear(bg)
	}
	t.afterScroll(top, bot, -n, false)
}

func (t *Terminal) afterScroll(top, bot, n int, evicted bool) {
	if t.view == 0 {
		t.noteScroll(top, bot, n)
		t.shiftDamage(top, bot, n)
		return
	}
	if evicted {
		// The history under a scrolled-back view shifted.
		t.damageAll()
		return
	}
	for y := top; y <= bot; y++ {
		t.damageRow(y)
	}
}

// rotateLeft rotates s left by k using three reversals: no allocation and
// only row headers move, never cells.
func rotateLeft(s []line, k int) {
	switch {
	case k <= 0 || k >= len(s):
		return
	case k == 1:
		// The common single-line scroll: one memmove of row headers.
		first := s[0]
		copy(s, s[1:])
		s[len(s)-1] = first
		return
	case k == len(s)-1:
		last := s[len(s)-1]
		copy(s[1:], s)
		s[0] = last
		return
	}
	reverse(s[:k])
	reverse(s[k:])
	reverse(s)
}

func reverse(s []line) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// index is IND/LF: down one row, scrolling at the bottom margin.
func (t *Terminal) index() {
	switch {
	case t.cur.y == t.bot:
		t.scrollUp(t.top, t.bot, 1, t.top == 0 && !t.altOn)
	case t.cur.y < t.rows-1:
		t.cur.y++
	}
}

// reverseIndex is RI: up one row, scrolling down at the top margin.
func (t *Terminal) reverseIndex() {
	switch {
	case t.cur.y == t.top:
		t.scrollDown(t.top, t.bot, 1)
	case t.cur.y > 0:
		t.cur.y--
	}
}

// breakWide blanks the halves of wide characters that a write to cells
// [x0, x1) of l would leave orphaned.
func (t *Terminal) breakWide(l *line, x0, x1 int) {
	if x0 > 0 && x0 < len(l.cells) && l.cells[x0].Width == 0 {
		l.cells[x0-1] = blank(l.cells[x0-1].BG)
	}
	if x1 < len(l.cells) && l.cells[x1].Width == 0 {
		l.cells[x1] = blank(l.cells[x1].BG)
	}
}

// eraseCells blanks [x0, x1) of screen row y in the current background.
func (t *Terminal) eraseCells(y, x0, x1 int) {
	x0, x1 = max(x0, 0), min(x1, t.cols)
	if x0 >= x1 {
		return
	}
	l := &t.lines[y]
	t.breakWide(l, x0, x1)
	fill(l.cells[x0:x1], blank(t.cur.pen.BG))
	if x1 == t.cols {
		l.wrapped = false
	}
	t.damageRow(y)
}

func (t *Terminal) eraseLines(y0, y1 int) {
	for y := y0; y < y1; y++ {
		t.eraseCells(y, 0, t.cols)
	}
}

// eraseDisplay is ED.
func (t *Terminal) eraseDisplay(mode int) {
	switch mode {
	case 0:
		t.eraseCells(t.cur.y, t.cur.x, t.cols)
		t.eraseLines(t.cur.y+1, t.rows)
	case 1:
		t.eraseLines(0, t.cur.y)
		t.eraseCells(t.cur.y, 0, t.cur.x+1)
	case 2:
		t.eraseLines(0, t.rows)
	case 3:
		t.sb.n, t.sb.start = 0, 0
		t.sb.buf = t.sb.buf[:0]
		if t.view != 0 {
			t.view = 0
			t.damageAll()
		}
	}
}

// eraseLine is EL.
func (t *Terminal) eraseLine(mode int) {
	switch mode {
	case 0:
		t.eraseCells(t.cur.y, t.cur.x, t.cols)
	case 1:
		t.eraseCells(t.cur.y, 0, t.cur.x+1)
	case 2:
		t.eraseCells(t.cur.y, 0, t.cols)
	}
}

// insertChars is ICH: shift the rest of the row right by n.
func (t *Terminal) insertChars(n int) {
	l := &t.lines[t.cur.y]
	x := t.cur.x
	n = min(n, t.cols-x)
	t.breakWide(l, x, x)
	copy(l.cells[x+n:], l.cells[x:t.cols-n])
	fill(l.cells[x:x+n], blank(t.cur.pen.BG))
	if last := &l.cells[t.cols-1]; last.Width == 2 {
		*last = blank(last.BG)
	}
	t.damageRow(t.cur.y)
}

// deleteChars is DCH: shift the rest of the row left by n.
func (t *Terminal) deleteChars(n int) {
	l := &t.lines[t.cur.y]
	x := t.cur.x
	n = min(n, t.cols-x)
	t.breakWide(l, x, x+n)
	copy(l.cells[x:], l.cells[x+n:])
	fill(l.cells[t.cols-n:], blank(t.cur.pen.BG))
	t.damageRow(t.cur.y)
}

// insertLines is IL; outside the scroll region it does nothing.
func (t *Terminal) insertLines(n int) {
	if t.cur.y < t.top || t.cur.y > t.bot {
		return
	}
	t.scrollDown(t.cur.y, t.bot, n)
	t.cur.x, t.cur.wrapNext = 0, false
}

// deleteLines is DL; outside the scroll region it does nothing.
func (t *Terminal) deleteLines(n int) {
	if t.cur.y < t.top || t.cur.y > t.bot {
		return
	}
	t.scrollUp(t.cur.y, t.bot, n, false)
	t.cur.x, t.cur.wrapNext = 0, false
}

// setAltScreen switches screens. clearAlt blanks the alternate screen on
// entry (1049) ; the cursor position is shared, as in xterm.
func (t *Terminal) setAltScreen(on, clearAlt bool) {
	if on == t.altOn {
		return
	}
	t.view = 0
	t.altOn = on
	if on {
		t.lines = t.alt
		if clearAlt {
			for i := range t.alt {
				t.alt[i].clear(DefaultColor)
			}
		}
	} else {
		t.lines = t.primary
	}
	t.damageAll()
}

func (t *Terminal) saveCursor() {
	t.saved[t.screenIndex()] = t.cur
}

func (t *Terminal) restoreCursor() {
	c := t.saved[t.screenIndex()]
	c.x, c.y = min(c.x, t.cols-1), min(c.y, t.rows-1)
	if c.pen.Width == 0 {
		c.pen.Width = 1
	}
	t.cur = c
}

func (t *Terminal) screenIndex() int {
	if t.altOn {
		return 1
	}
	return 0
}

// moveTo places the cursor at absolute screen (x, y), clamped.
func (t *Terminal) moveTo(x, y int) {
	t.cur.x = min(max(x, 0), t.cols-1)
	t.cur.y = min(max(y, 0), t.rows-1)
	t.cur.wrapNext = false
}

// moveToOrigin is CUP/HVP: y is relative to the scroll region in origin
// mode and confined to it.
func (t *Terminal) moveToOrigin(x, y int) {
	if t.cur.origin {
		t.moveTo(x, min(max(y+t.top, t.top), t.bot))
		return
	}
	t.moveTo(x, y)
}

// moveRows is CUU/CUD: stops at the margins when starting inside them.
func (t *Terminal) moveRows(n int) {
	y := t.cur.y + n
	if n < 0 {
		if t.cur.y >= t.top {
			y = max(y, t.top)
		}
	} else if t.cur.y <= t.bot {
		y = min(y, t.bot)
	}
	t.moveTo(t.cur.x, y)
}

// tab is HT (n > 0) or CBT (n < 0) over |n| tab stops.
func (t *Terminal) tab(n int) {
	x := t.cur.x
	for ; n > 0 && x < t.cols-1; n-- {
		for x++; x < t.cols-1 && !t.tabs[x]; x++ {
		}
	}
	for ; n < 0 && x > 0; n++ {
		for x--; x > 0 && !t.tabs[x]; x-- {
		}
	}
	t.cur.x = x
	t.cur.wrapNext = false
}
