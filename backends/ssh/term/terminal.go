package term

// Size limits, as in guacd: larger requests are clamped.
const (
	MaxCols = 1024
	MaxRows = 1024
	// DefaultScrollback is guacd's default `scrollback` parameter.
	DefaultScrollback = 1000
)

// Options configure a Terminal. The zero value is usable: gray-black
// colours, 1000 rows of scrollback, backspace 127, no callbacks.
type Options struct {
	// Scrollback is the number of history rows kept (0 = DefaultScrollback,
	// negative = none).
	Scrollback int
	// Scheme is the colour scheme; nil means gray-black.
	Scheme *Scheme
	// Backspace is the byte sent for the BackSpace key (0 = 127).
	Backspace byte
	// TerminalType is the PTY TERM; "linux" (the guacd default when empty)
	// makes End send ESC[4~ instead of ESC[F.
	TerminalType string
	// VT100FuncKeys selects guacd's `func-keys-and-keypad=vt100` forms.
	VT100FuncKeys bool

	// Reply receives bytes the terminal answers with (DA, DSR, CPR, ENQ).
	// The slice is only valid during the call. Callbacks run synchronously
	// inside Write and must not call back into the Terminal.
	Reply func(p []byte)
	// Title receives OSC 0/2 window titles.
	Title func(title string)
	// Bell is called for BEL.
	Bell func()
	// OSC receives every other OSC sequence (including guacd's private
	// 482200–482204) as its numeric code and the text after the first ';'.
	OSC func(code int, text string)
}

type charset uint8

const (
	charsetASCII charset = iota
	charsetDECGraphics
	charsetUK
)

// cursor is the cursor state DECSC saves.
type cursor struct {
	x, y     int
	pen      Cell
	wrapNext bool
	origin   bool
	charsets [2]charset
	gl       int
}

// Terminal is an emulated xterm screen. Create one with New.
type Terminal struct {
	opts Options
	cols int
	rows int

	primary []line
	alt     []line
	lines   []line // the active screen: primary or alt
	altOn   bool

	cur      cursor
	saved    [2]cursor // DECSC slots for the primary and alternate screens
	top, bot int       // scroll region, inclusive rows
	tabs     []bool

	autowrap      bool
	insert        bool
	lnm           bool
	appCursor     bool
	appKeypad     bool
	cursorVisible bool
	bracketed     bool
	mouseMode     MouseMode
	mouseEnc      MouseEncoding
	lastRune      rune

	sb      ring
	sbTotal int // rows ever pushed into scrollback; anchors absolute row numbers
	view    int // rows scrolled back from the bottom

	damage []bool
	ops    []ScrollOp
	scheme Scheme

	comb    []string
	combIdx map[string]uint16

	sel selection
	in  inputState
	p   parser
}

// New returns a cols×rows terminal (clamped to 1..MaxCols, 1..MaxRows).
func New(cols, rows int, opts Options) *Terminal {
	cols, rows = clampSize(cols, rows)
	t := &Terminal{opts: opts}
	if t.opts.Backspace == 0 {
		t.opts.Backspace = 127
	}
	if t.opts.TerminalType == "" {
		t.opts.TerminalType = "linux"
	}
	n := opts.Scrollback
	if n == 0 {
		n = DefaultScrollback
	}
	t.sb.max = max(n, 0)
	if opts.Scheme != nil {
		t.scheme = *opts.Scheme
	} else {
		t.scheme = DefaultScheme()
	}
	t.cols, t.rows = cols, rows
	t.reset()
	return t
}

func clampSize(cols, rows int) (int, int) {
	return min(max(cols, 1), MaxCols), min(max(rows, 1), MaxRows)
}

// reset puts everything the remote side controls back to power-on state
// (RIS). Scrollback survives, as in xterm.
func (t *Terminal) reset() {
	t.primary = newScreen(t.cols, t.rows)
	t.alt = newScreen(t.cols, t.rows)
	t.lines = t.primary
	t.altOn = false
	t.cur = cursor{}
	t.saved = [2]cursor{}
	t.top, t.bot = 0, t.rows-1
	t.tabs = make([]bool, t.cols)
	t.resetTabs(0)
	t.autowrap = true
	t.insert, t.lnm, t.appCursor, t.appKeypad, t.bracketed = false, false, false, false, false
	t.cursorVisible = true
	t.mouseMode, t.mouseEnc = MouseOff, MouseEncodingX10
	t.damage = make([]bool, t.rows)
	t.ops = t.ops[:0]
	t.damageAll()
}

func (t *Terminal) resetTabs(from int) {
	for i := from; i < len(t.tabs); i++ {
		t.tabs[i] = i%8 == 0 && i > 0
	}
}

// Cols returns the width in cells.
func (t *Terminal) Cols() int { return t.cols }

// Rows returns the height in cells.
func (t *Terminal) Rows() int { return t.rows }

// Cursor returns the cursor position in screen cells. When the view is
// scrolled back the cursor is not on screen and visible is false.
func (t *Terminal) Cursor() (x, y int, visible bool) {
	return t.cur.x, t.cur.y, t.cursorVisible && t.view == 0
}

// AltScreen reports whether the alternate screen is active.
func (t *Terminal) AltScreen() bool { return t.altOn }

// Scheme returns the colour scheme in use, including OSC 4 palette changes.
func (t *Terminal) Scheme() *Scheme { return &t.scheme }

// SetScheme replaces the colour scheme (guacd's live `color-scheme` argv)
// and marks every row damaged.
func (t *Terminal) SetScheme(s Scheme) {
	t.scheme = s
	t.damageAll()
}

// Row returns the cells shown on view row y (0 ≤ y < Rows), taking the
// scrollback view offset into account. History rows keep the width they
// had when they scrolled off, so len may differ from Cols; missing cells
// are blank. The slice is valid until the next call that changes the
// terminal and must not be modified.
func (t *Terminal) Row(y int) []Cell {
	return t.viewLine(y).cells
}

// Cell returns the cell shown at view position (x, y); positions past the
// end of a history row are blank.
func (t *Terminal) Cell(x, y int) Cell {
	r := t.Row(y)
	if x < 0 || x >= len(r) {
		return blank(DefaultColor)
	}
	return r[x]
}

// Combining returns the combining marks attached to c (nil if none).
func (t *Terminal) Combining(c Cell) string {
	if c.comb == 0 || int(c.comb) > len(t.comb) {
		return ""
	}
	return t.comb[c.comb-1]
}

// viewLine returns the line displayed at view row y.
func (t *Terminal) viewLine(y int) *line {
	if t.view == 0 || t.altOn {
		return &t.lines[y]
	}
	return t.absLine(t.sbTotal - t.view + y)
}

// absLine returns the line at absolute row a: history rows are numbered
// sbTotal-len..sbTotal-1 and screen row y is sbTotal+y.
func (t *Terminal) absLine(a int) *line {
	if a >= t.sbTotal {
		return &t.lines[min(a-t.sbTotal, t.rows-1)]
	}
	i := a - (t.sbTotal - t.sb.n)
	if i < 0 {
		i = 0
	}
	return t.sb.at(i)
}

// ScrollbackLen returns how many history rows are stored.
func (t *Terminal) ScrollbackLen() int { return t.sb.n }

// ViewOffset returns how many rows the view is scrolled back.
func (t *Terminal) ViewOffset() int { return t.view }

// ScrollView moves the view by n rows into history (n > 0) or back toward
// the live screen (n < 0), clamped to the stored history. The alternate
// screen has no history. The move is reported as a ScrollOp so a renderer
// can copy instead of redrawing.
func (t *Terminal) ScrollView(n int) {
	if t.altOn {
		return
	}
	v := min(max(t.view+n, 0), t.sb.n)
	d := v - t.view
	if d == 0 {
		return
	}
	t.view = v
	// Moving the view back by d rows shows the old rows d lower: a scroll down.
	t.noteScroll(0, t.rows-1, -d)
	t.shiftDamage(0, t.rows-1, -d)
	t.damageSelection()
}

// ResetView returns the view to the live screen.
func (t *Terminal) ResetView() { t.ScrollView(-t.view) }

// Resize changes the grid to cols×rows. Rows lost at the bottom first come
// from blank rows below the cursor; the rest scroll into history, so the
// cursor row stays on screen (guacd: "content shifts up"). Text is not
// reflowed. The scroll region is reset and everything is damaged.
func (t *Terminal) Resize(cols, rows int) {
	cols, rows = clampSize(cols, rows)
	if cols == t.cols && rows == t.rows {
		return
	}
	oldCols := t.cols
	t.cols = cols
	t.primary = t.resizeScreen(t.primary, true, rows)
	t.alt = t.resizeScreen(t.alt, false, rows)
	if t.altOn {
		t.lines = t.alt
	} else {
		t.lines = t.primary
	}
	t.rows = rows
	t.tabs = append(t.tabs[:min(oldCols, cols)], make([]bool, max(cols-oldCols, 0))...)
	t.resetTabs(oldCols)
	t.top, t.bot = 0, rows-1
	t.cur.x, t.cur.y = min(t.cur.x, cols-1), min(t.cur.y, rows-1)
	t.cur.wrapNext = false
	for i := range t.saved {
		t.saved[i].x, t.saved[i].y = min(t.saved[i].x, cols-1), min(t.saved[i].y, rows-1)
	}
	t.view = min(t.view, t.sb.n)
	t.damage = make([]bool, rows)
	t.ops = t.ops[:0]
	t.damageAll()
}

// resizeScreen fits s to the new row count (and t.cols). Only the active
// screen's cursor moves; the inactive screen is trimmed from the bottom.
func (t *Terminal) resizeScreen(s []line, primary bool, rows int) []line {
	for i := range s {
		s[i].fit(t.cols)
	}
	active := primary != t.altOn
	for len(s) > rows {
		last := len(s) - 1
		if !active || (t.cur.y < last && s[last].isBlank()) {
			s = s[:last]
			continue
		}
		if primary {
			t.pushHistory(s[0])
		}
		copy(s, s[1:])
		s = s[:last]
		t.cur.y = max(t.cur.y-1, 0)
	}
	for len(s) < rows {
		s = append(s, newLine(t.cols, DefaultColor))
	}
	return s
}

// String dumps the screen as text, one line per row, trailing blanks
// trimmed; handy in tests and logs.
func (t *Terminal) String() string {
	b := make([]byte, 0, t.rows*(t.cols+1))
	for y := range t.rows {
		b = append(b, t.lines[y].text(0, t.cols, t, true)...)
		b = append(b, '\n')
	}
	return string(b)
}
