package term

import (
	"sync"
	"unicode"

	"golang.org/x/text/width"
)

// printASCII writes a run of printable ASCII (0x20–0x7E) at the cursor.
// It is the hot path for `cat` and friends, so it fills whole row spans.
func (t *Terminal) printASCII(run []byte) {
	if t.insert || t.cur.charsets[t.cur.gl] != charsetASCII {
		for _, b := range run {
			t.print(rune(b))
		}
		return
	}
	pen := t.cur.pen
	pen.Width, pen.comb = 1, 0
	for len(run) > 0 {
		if t.cur.wrapNext {
			t.wrapLine()
		}
		l := &t.lines[t.cur.y]
		x := t.cur.x
		n := min(len(run), t.cols-x)
		t.breakWide(l, x, x+n)
		cells := l.cells[x : x+n]
		// Two passes (a memmove fill, then the runes) beat storing a whole
		// 16-byte cell per byte.
		fill(cells, pen)
		for i, b := range run[:n] {
			cells[i].Rune = rune(b)
		}
		pen.Rune = rune(run[n-1])
		t.damageRow(t.cur.y)
		run = run[n:]
		x += n
		if x < t.cols {
			t.cur.x = x
			t.lastRune = pen.Rune
			continue
		}
		t.cur.x = t.cols - 1
		if t.autowrap {
			t.cur.wrapNext = true
		} else if len(run) > 0 {
			// Without auto-wrap, later characters all land in the last column.
			pen.Rune = rune(run[len(run)-1])
			l.cells[t.cols-1] = pen
			run = nil
		}
		t.lastRune = pen.Rune
	}
}

// wrapLine performs a pending auto-wrap.
func (t *Terminal) wrapLine() {
	t.lines[t.cur.y].wrapped = true
	t.cur.x = 0
	t.cur.wrapNext = false
	t.index()
}

// print writes one character at the cursor.
func (t *Terminal) print(r rune) {
	if r < 0x80 {
		r = translate(t.cur.charsets[t.cur.gl], r)
	}
	w := runeWidth(r)
	if w == 0 {
		t.combine(r)
		return
	}
	if w == 2 && t.cols < 2 {
		r, w = '?', 1
	}
	if t.cur.wrapNext && t.autowrap {
		t.wrapLine()
	}
	if w == 2 && t.cur.x == t.cols-1 {
		if t.autowrap {
			t.eraseCells(t.cur.y, t.cur.x, t.cols)
			t.wrapLine()
		} else {
			t.cur.x--
		}
	}
	y, x := t.cur.y, t.cur.x
	l := &t.lines[y]
	if t.insert {
		t.insertChars(w)
	}
	t.breakWide(l, x, x+w)
	c := t.cur.pen
	c.Rune, c.Width, c.comb = r, uint8(w), 0
	l.cells[x] = c
	if w == 2 {
		c.Rune, c.Width = 0, 0
		l.cells[x+1] = c
	}
	t.damageRow(y)
	t.lastRune = r
	if x+w < t.cols {
		t.cur.x = x + w
		return
	}
	t.cur.x = t.cols - 1
	t.cur.wrapNext = t.autowrap
}

// maxCombining bounds the marks stacked on one cell and the number of
// distinct sequences remembered, so hostile input cannot grow memory.
const (
	maxCombiningBytes = 32
	maxCombiningSeqs  = 1 << 16
)

// combine attaches a zero-width character to the previously printed cell.
func (t *Terminal) combine(r rune) {
	if !unicode.In(r, unicode.Mn, unicode.Me) {
		return // format characters (ZWJ, ZWSP, …) are dropped
	}
	x := t.cur.x
	if !t.cur.wrapNext {
		x--
	}
	l := &t.lines[t.cur.y]
	if x < 0 {
		return
	}
	if l.cells[x].Width == 0 && x > 0 {
		x--
	}
	c := &l.cells[x]
	s := t.Combining(*c)
	if len(s)+4 > maxCombiningBytes {
		return
	}
	s += string(r)
	idx, ok := t.combIdx[s]
	if !ok {
		if len(t.comb) >= maxCombiningSeqs-1 {
			return
		}
		if t.combIdx == nil {
			t.combIdx = make(map[string]uint16)
		}
		t.comb = append(t.comb, s)
		idx = uint16(len(t.comb))
		t.combIdx[s] = idx
	}
	c.comb = idx
	t.damageRow(t.cur.y)
}

// runeWidth returns the number of cells r occupies: 0 for combining and
// format characters, 2 for East Asian Wide/Fullwidth, else 1. The Basic
// Multilingual Plane is answered from a table built on first use, because
// the Unicode category and width lookups cost more than the rest of
// printing a character.
func runeWidth(r rune) int {
	if r < 0x300 {
		return 1
	}
	if r < 0x10000 {
		bmpOnce.Do(buildBMPWidths)
		return int(bmpWidths[r])
	}
	return lookupWidth(r)
}

var (
	bmpWidths [0x10000]uint8
	bmpOnce   sync.Once
)

func buildBMPWidths() {
	for r := range rune(0x10000) {
		bmpWidths[r] = uint8(lookupWidth(r))
	}
}

func lookupWidth(r rune) int {
	if r < 0x300 {
		return 1
	}
	if unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf) {
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

// decGraphics maps 0x5F–0x7E in the DEC Special Graphics set (ESC ( 0).
var decGraphics = [32]rune{
	0x00A0, 0x25C6, 0x2592, 0x2409, 0x240C, 0x240D, 0x240A, 0x00B0,
	0x00B1, 0x2424, 0x240B, 0x2518, 0x2510, 0x250C, 0x2514, 0x253C,
	0x23BA, 0x23BB, 0x2500, 0x23BC, 0x23BD, 0x251C, 0x2524, 0x2534,
	0x252C, 0x2502, 0x2264, 0x2265, 0x03C0, 0x2260, 0x00A3, 0x00B7,
}

func translate(cs charset, r rune) rune {
	switch {
	case cs == charsetDECGraphics && r >= 0x5F && r <= 0x7E:
		return decGraphics[r-0x5F]
	case cs == charsetUK && r == '#':
		return 0x00A3
	}
	return r
}
