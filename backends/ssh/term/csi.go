package term

import "strconv"

// param returns parameter i, or def when absent or zero (the VT rule for
// counts and positions).
func param(ps []int, i, def int) int {
	if i < len(ps) && ps[i] != 0 {
		return ps[i]
	}
	return def
}

func (t *Terminal) csiDispatch(ps []int, final byte) {
	p := &t.p
	switch p.private {
	case '?':
		t.csiPrivate(ps, final)
		return
	case 0:
	default:
		return // '>' and '=' queries/settings (xterm modifyKeys, DA2, …) are not supported
	}
	if p.inter != 0 {
		if p.inter == '!' && final == 'p' {
			t.softReset()
		}
		return // DECSCUSR and friends
	}
	n := param(ps, 0, 1)
	switch final {
	case '@':
		t.insertChars(n)
	case 'A':
		t.moveRows(-n)
	case 'B', 'e':
		t.moveRows(n)
	case 'C', 'a':
		t.moveTo(t.cur.x+n, t.cur.y)
	case 'D':
		t.moveTo(t.cur.x-n, t.cur.y)
	case 'E':
		t.moveRows(n)
		t.cur.x = 0
	case 'F':
		t.moveRows(-n)
		t.cur.x = 0
	case 'G', '`':
		t.moveTo(n-1, t.cur.y)
	case 'H', 'f':
		t.moveToOrigin(param(ps, 1, 1)-1, n-1)
	case 'I':
		t.tab(n)
	case 'J':
		t.eraseDisplay(param(ps, 0, 0))
	case 'K':
		t.eraseLine(param(ps, 0, 0))
	case 'L':
		t.insertLines(n)
	case 'M':
		t.deleteLines(n)
	case 'P':
		t.deleteChars(n)
	case 'S':
		t.scrollUp(t.top, t.bot, n, t.top == 0 && !t.altOn)
	case 'T':
		if len(ps) <= 1 { // with more parameters it is xterm mouse highlighting
			t.scrollDown(t.top, t.bot, n)
		}
	case 'X':
		t.eraseCells(t.cur.y, t.cur.x, t.cur.x+n)
		t.cur.wrapNext = false
	case 'Z':
		t.tab(-n)
	case 'b':
		if t.lastRune != 0 {
			for range min(n, t.cols*t.rows) {
				t.print(t.lastRune)
			}
		}
	case 'c':
		if param(ps, 0, 0) == 0 {
			t.reply("\x1b[?6c") // VT102, as guacd
		}
	case 'd':
		if t.cur.origin {
			t.moveToOrigin(t.cur.x, n-1)
		} else {
			t.moveTo(t.cur.x, n-1)
		}
	case 'g':
		switch param(ps, 0, 0) {
		case 0:
			t.tabs[t.cur.x] = false
		case 3:
			clear(t.tabs)
		}
	case 'h', 'l':
		set := final == 'h'
		for _, m := range ps {
			switch m {
			case 4:
				t.insert = set
			case 20:
				t.lnm = set
			}
		}
	case 'm':
		t.sgr(ps)
	case 'n':
		switch param(ps, 0, 0) {
		case 5:
			t.reply("\x1b[0n")
		case 6:
			t.reply(t.cursorReport(""))
		}
	case 'r':
		top, bot := param(ps, 0, 1)-1, param(ps, 1, t.rows)-1
		bot = min(bot, t.rows-1)
		if top < bot {
			t.top, t.bot = top, bot
			t.moveToOrigin(0, 0)
		}
	case 's':
		t.saveCursor()
	case 'u':
		t.restoreCursor()
	}
}

// cursorReport is CPR: ESC [ row ; col R, relative to the region in
// origin mode.
func (t *Terminal) cursorReport(private string) string {
	y := t.cur.y
	if t.cur.origin {
		y -= t.top
	}
	return "\x1b[" + private + strconv.Itoa(y+1) + ";" + strconv.Itoa(t.cur.x+1) + "R"
}

// csiPrivate handles CSI ? … sequences: DECSET/DECRST and DECDSR.
func (t *Terminal) csiPrivate(ps []int, final byte) {
	switch final {
	case 'h', 'l':
		set := final == 'h'
		for _, m := range ps {
			t.setPrivateMode(m, set)
		}
	case 'n':
		if param(ps, 0, 0) == 6 {
			t.reply(t.cursorReport("?"))
		}
	case 'J':
		t.eraseDisplay(param(ps, 0, 0))
	case 'K':
		t.eraseLine(param(ps, 0, 0))
	}
}

func (t *Terminal) setPrivateMode(m int, set bool) {
	switch m {
	case 1:
		t.appCursor = set
	case 6:
		t.cur.origin = set
		t.moveToOrigin(0, 0)
	case 7:
		t.autowrap = set
		if !set {
			t.cur.wrapNext = false
		}
	case 25:
		if t.cursorVisible != set {
			t.cursorVisible = set
			t.damageRow(t.cur.y)
		}
	case 9:
		t.setMouse(MouseX10, set)
	case 1000:
		t.setMouse(MouseNormal, set)
	case 1002:
		t.setMouse(MouseButtonEvent, set)
	case 1003:
		t.setMouse(MouseAnyEvent, set)
	case 1005:
		t.setMouseEncoding(MouseEncodingUTF8, set)
	case 1006:
		t.setMouseEncoding(MouseEncodingSGR, set)
	case 2004:
		t.bracketed = set
	case 47:
		t.setAltScreen(set, false)
	case 1047:
		if !set && t.altOn {
			t.eraseLines(0, t.rows)
		}
		t.setAltScreen(set, false)
	case 1048:
		if set {
			t.saveCursor()
		} else {
			t.restoreCursor()
		}
	case 1049:
		if set {
			t.saveCursor()
			t.setAltScreen(true, true)
		} else {
			t.setAltScreen(false, false)
			t.restoreCursor()
		}
	}
}

func (t *Terminal) setMouse(m MouseMode, set bool) {
	switch {
	case set:
		t.mouseMode = m
	case t.mouseMode == m:
		t.mouseMode = MouseOff
	}
}

func (t *Terminal) setMouseEncoding(e MouseEncoding, set bool) {
	switch {
	case set:
		t.mouseEnc = e
	case t.mouseEnc == e:
		t.mouseEnc = MouseEncodingX10
	}
}

// softReset is DECSTR.
func (t *Terminal) softReset() {
	t.cursorVisible = true
	t.insert, t.cur.origin, t.appCursor, t.appKeypad = false, false, false, false
	t.autowrap = true
	t.top, t.bot = 0, t.rows-1
	t.cur.pen = blank(DefaultColor)
	t.cur.charsets, t.cur.gl = [2]charset{}, 0
	t.saved[t.screenIndex()] = cursor{}
}

// sgr applies Select Graphic Rendition parameters.
func (t *Terminal) sgr(ps []int) {
	pen := &t.cur.pen
	if len(ps) == 0 {
		*pen = blank(DefaultColor)
		return
	}
	sub := t.p.subMask
	for i := 0; i < len(ps); i++ {
		switch v := ps[i]; {
		case v == 0:
			*pen = blank(DefaultColor)
		case v == 1:
			pen.Attr |= AttrBold
		case v == 2:
			pen.Attr |= AttrFaint
		case v == 3:
			pen.Attr |= AttrItalic
		case v == 4:
			// 4:0 is "no underline"; other 4:n styles all draw as underline.
			if i+1 < len(ps) && sub&(1<<(i+1)) != 0 {
				i++
				if ps[i] == 0 {
					pen.Attr &^= AttrUnderline
					continue
				}
			}
			pen.Attr |= AttrUnderline
		case v == 5 || v == 6:
			pen.Attr |= AttrBlink
		case v == 7:
			pen.Attr |= AttrInverse
		case v == 8:
			pen.Attr |= AttrConceal
		case v == 9:
			pen.Attr |= AttrStrike
		case v == 21:
			pen.Attr |= AttrUnderline // double underline, drawn single
		case v == 22:
			pen.Attr &^= AttrBold | AttrFaint
		case v == 23:
			pen.Attr &^= AttrItalic
		case v == 24:
			pen.Attr &^= AttrUnderline
		case v == 25:
			pen.Attr &^= AttrBlink
		case v == 27:
			pen.Attr &^= AttrInverse
		case v == 28:
			pen.Attr &^= AttrConceal
		case v == 29:
			pen.Attr &^= AttrStrike
		case v >= 30 && v <= 37:
			pen.FG = PaletteColor(uint8(v - 30))
		case v == 38:
			pen.FG, i = extendedColor(ps, i, sub, pen.FG)
		case v == 39:
			pen.FG = DefaultColor
		case v >= 40 && v <= 47:
			pen.BG = PaletteColor(uint8(v - 40))
		case v == 48:
			pen.BG, i = extendedColor(ps, i, sub, pen.BG)
		case v == 49:
			pen.BG = DefaultColor
		case v >= 90 && v <= 97:
			pen.FG = PaletteColor(uint8(v - 90 + 8))
		case v >= 100 && v <= 107:
			pen.BG = PaletteColor(uint8(v - 100 + 8))
		}
	}
}

// extendedColor parses the colour after SGR 38/48 at ps[i], in both the
// ';' form (38;5;n, 38;2;r;g;b) and the ':' form (38:5:n, 38:2:cs:r:g:b or
// 38:2:r:g:b). It returns the colour (old when malformed) and the index of
// the last parameter consumed.
func extendedColor(ps []int, i int, sub uint32, old Color) (Color, int) {
	if i+1 >= len(ps) {
		return old, i
	}
	colon := sub&(1<<(i+1)) != 0
	switch ps[i+1] {
	case 5:
		if i+2 >= len(ps) {
			return old, len(ps) - 1
		}
		return PaletteColor(uint8(min(ps[i+2], 255))), i + 2
	case 2:
		j := i + 2
		if colon {
			// Count the sub-parameters: with four, the first is a colour space id.
			k := j
			for k < len(ps) && sub&(1<<k) != 0 {
				k++
			}
			if k-j >= 4 {
				j++
			}
		}
		if j+2 >= len(ps) {
			return old, len(ps) - 1
		}
		c := func(v int) uint8 { return uint8(min(v, 255)) }
		return RGBColor(c(ps[j]), c(ps[j+1]), c(ps[j+2])), j + 2
	}
	return old, i + 1
}

// escDispatch handles ESC sequences (with at most one intermediate).
func (t *Terminal) escDispatch(inter, final byte) {
	switch inter {
	case '(', ')':
		g := 0
		if inter == ')' {
			g = 1
		}
		switch final {
		case '0':
			t.cur.charsets[g] = charsetDECGraphics
		case 'A':
			t.cur.charsets[g] = charsetUK
		default:
			t.cur.charsets[g] = charsetASCII
		}
		return
	case '#':
		if final == '8' {
			t.decaln()
		}
		return
	case 0:
	default:
		return
	}
	switch final {
	case '7':
		t.saveCursor()
	case '8':
		t.restoreCursor()
	case 'D':
		t.index()
		t.cur.wrapNext = false
	case 'E':
		t.index()
		t.cur.x, t.cur.wrapNext = 0, false
	case 'H':
		t.tabs[t.cur.x] = true
	case 'M':
		t.reverseIndex()
		t.cur.wrapNext = false
	case 'Z':
		t.reply("\x1b[?6c")
	case 'c':
		t.reset()
	case '=':
		t.appKeypad = true
	case '>':
		t.appKeypad = false
	}
}

// decaln fills the screen with 'E' (the DEC alignment test).
func (t *Terminal) decaln() {
	for y := range t.rows {
		fill(t.lines[y].cells, Cell{Rune: 'E', Width: 1})
		t.damageRow(y)
	}
	t.top, t.bot = 0, t.rows-1
	t.moveTo(0, 0)
}

// oscDispatch handles a complete OSC string.
func (t *Terminal) oscDispatch() {
	s := t.p.osc
	code, rest := 0, ""
	i := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		code = min(code*10+int(s[i]-'0'), 1<<30)
	}
	if i == 0 {
		return
	}
	if i < len(s) {
		if s[i] != ';' {
			return
		}
		rest = string(s[i+1:])
	}
	switch code {
	case 0, 2:
		if t.opts.Title != nil {
			t.opts.Title(rest)
		}
	case 1:
	case 4:
		if t.scheme.setPaletteSpec(rest) {
			t.damageAll()
		}
	case 104:
		t.scheme.Palette = t.scheme.base
		t.damageAll()
	default:
		if t.opts.OSC != nil {
			t.opts.OSC(code, rest)
		}
	}
}
