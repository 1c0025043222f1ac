package term

import (
	"image/color"
	"slices"
	"strings"
	"testing"
)

func write(t *Terminal, s string) *Terminal {
	t.Write([]byte(s))
	return t
}

func TestSGR(t *testing.T) {
	tests := []struct {
		in     string
		fg, bg Color
		attr   Attr
	}{
		{"\x1b[1;3;4;5;7;8;9mX", 0, 0, AttrBold | AttrItalic | AttrUnderline | AttrBlink | AttrInverse | AttrConceal | AttrStrike},
		{"\x1b[1;2m\x1b[22mX", 0, 0, 0},
		{"\x1b[2mX", 0, 0, AttrFaint},
		{"\x1b[4m\x1b[24mX", 0, 0, 0},
		{"\x1b[4:0mX", 0, 0, 0},
		{"\x1b[4:3mX", 0, 0, AttrUnderline},
		{"\x1b[21mX", 0, 0, AttrUnderline},
		{"\x1b[31;42mX", PaletteColor(1), PaletteColor(2), 0},
		{"\x1b[91;102mX", PaletteColor(9), PaletteColor(10), 0},
		{"\x1b[38;5;196;48;5;21mX", PaletteColor(196), PaletteColor(21), 0},
		{"\x1b[38;2;1;2;3;48;2;4;5;6mX", RGBColor(1, 2, 3), RGBColor(4, 5, 6), 0},
		{"\x1b[38:2::1:2:3mX", RGBColor(1, 2, 3), 0, 0},
		{"\x1b[38:2:1:2:3mX", RGBColor(1, 2, 3), 0, 0},
		{"\x1b[38:5:100mX", PaletteColor(100), 0, 0},
		{"\x1b[31;41m\x1b[39;49mX", 0, 0, 0},
		{"\x1b[1;31m\x1b[0mX", 0, 0, 0},
		{"\x1b[1;31m\x1b[mX", 0, 0, 0},
		{"\x1b[7;8;9;3;5m\x1b[27;28;29;23;25mX", 0, 0, 0},
		{"\x1b[38;5mX", 0, 0, 0},
	}
	for _, tc := range tests {
		tm := write(New(5, 1, Options{}), tc.in)
		c := tm.Cell(0, 0)
		if c.Rune != 'X' || c.FG != tc.fg || c.BG != tc.bg || c.Attr != tc.attr {
			t.Errorf("%q: cell %+v, want fg %x bg %x attr %b", tc.in, c, tc.fg, tc.bg, tc.attr)
		}
	}
}

func TestBackgroundColourErase(t *testing.T) {
	tm := write(New(4, 2, Options{}), "ab\x1b[44m\x1b[K\r\n\x1b[2K")
	for _, p := range [][2]int{{2, 0}, {3, 0}, {0, 1}} {
		if c := tm.Cell(p[0], p[1]); c.BG != PaletteColor(4) {
			t.Errorf("cell %v bg = %x, want blue", p, c.BG)
		}
	}
	if c := tm.Cell(0, 0); c.BG != DefaultColor {
		t.Errorf("written cell lost its background")
	}
}

func TestReplies(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\x1b[c", "\x1b[?6c"},
		{"\x1b[0c", "\x1b[?6c"},
		{"\x1bZ", "\x1b[?6c"},
		{"\x1b[5n", "\x1b[0n"},
		{"\x1b[3;7H\x1b[6n", "\x1b[3;7R"},
		{"\x1b[2;4r\x1b[?6h\x1b[2;2H\x1b[6n", "\x1b[2;2R"},
		{"\x1b[?6n", "\x1b[?1;1R"},
		{"\x05", "GUACAMOLE"},
		{"\x1b[>c", ""},
	}
	for _, tc := range tests {
		var got []byte
		tm := New(10, 5, Options{Reply: func(p []byte) { got = append(got, p...) }})
		write(tm, tc.in)
		if string(got) != tc.want {
			t.Errorf("%q replied %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCallbacks(t *testing.T) {
	var titles []string
	var bells int
	var oscs []string
	tm := New(10, 2, Options{
		Title: func(s string) { titles = append(titles, s) },
		Bell:  func() { bells++ },
		OSC:   func(code int, text string) { oscs = append(oscs, string(rune('0'+code%10))+text) },
	})
	write(tm, "\x1b]0;one\x07\x1b]2;two\x1b\\\x07\x1b]482202;pipe\x07\x1b]1;icon\x07")
	write(tm, "\x1b]2;sp")
	write(tm, "lit\x07")
	if !slices.Equal(titles, []string{"one", "two", "split"}) {
		t.Errorf("titles = %q", titles)
	}
	if bells != 1 {
		t.Errorf("bells = %d, want 1", bells)
	}
	if !slices.Equal(oscs, []string{"2pipe"}) {
		t.Errorf("osc = %q", oscs)
	}
}

func TestOSC4Palette(t *testing.T) {
	tm := write(New(4, 1, Options{}), "\x1b]4;1;rgb:ff/00/80\x07")
	if got := tm.Scheme().Palette[1]; got != (color.RGBA{0xFF, 0, 0x80, 0xFF}) {
		t.Errorf("palette[1] = %v", got)
	}
	write(tm, "\x1b]104\x07")
	if got := tm.Scheme().Palette[1]; got != basePalette[1] {
		t.Errorf("after OSC 104 palette[1] = %v", got)
	}
}

func TestModes(t *testing.T) {
	tm := New(10, 3, Options{})
	write(tm, "\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?25l")
	m := tm.Modes()
	if !m.AppCursor || !m.AppKeypad || !m.BracketedPaste || m.Mouse != MouseButtonEvent || m.MouseEncoding != MouseEncodingSGR {
		t.Errorf("modes after set: %+v", m)
	}
	if _, _, vis := tm.Cursor(); vis {
		t.Error("cursor visible after ?25l")
	}
	write(tm, "\x1b[?1l\x1b>\x1b[?2004l\x1b[?1002l\x1b[?1006l\x1b[?25h")
	m = tm.Modes()
	if m.AppCursor || m.AppKeypad || m.BracketedPaste || m.Mouse != MouseOff || m.MouseEncoding != MouseEncodingX10 {
		t.Errorf("modes after reset: %+v", m)
	}
	write(tm, "\x1b[?1000h\x1b[?1003l")
	if tm.Modes().Mouse != MouseNormal {
		t.Error("resetting another mouse mode cleared ?1000")
	}
}

func TestAltScreen(t *testing.T) {
	for _, mode := range []string{"1049", "1047", "47"} {
		tm := write(New(6, 3, Options{}), "shell\r\n$ ")
		write(tm, "\x1b[?"+mode+"h\x1b[H\x1b[2JVIM\x1b[3;1H~")
		if !tm.AltScreen() || screen(tm)[0] != "VIM" {
			t.Fatalf("%s: alt screen not shown: %q", mode, screen(tm))
		}
		write(tm, "\x1b[?"+mode+"l")
		if tm.AltScreen() || screen(tm)[0] != "shell" || screen(tm)[1] != "$" {
			t.Errorf("%s: primary not restored: %q", mode, screen(tm))
		}
		x, y, _ := tm.Cursor()
		if mode == "1049" && (x != 2 || y != 1) {
			t.Errorf("1049 cursor = %d,%d, want 2,1", x, y)
		}
	}
	tm := write(New(6, 3, Options{}), "\x1b[?1049hjunk\x1b[?1049l\x1b[?1049h")
	if screen(tm)[0] != "" {
		t.Errorf("1049 did not clear the alternate screen: %q", screen(tm))
	}
}

// TestVimLike replays what vim does to scroll its buffer inside a region
// above the status line and to insert a line.
func TestVimLike(t *testing.T) {
	tm := New(10, 5, Options{})
	write(tm, "\x1b[?1049h\x1b[?1h\x1b=\x1b[H\x1b[2J")
	write(tm, "line1\r\nline2\r\nline3\r\nline4\r\n\x1b[7m-- INS --\x1b[m")
	tm.ClearDamage()
	write(tm, "\x1b[1;4r\x1b[4;1H\n\x1b[r\x1b[4;1Hline5") // scroll the text region
	want := []string{"line2", "line3", "line4", "line5", "-- INS --"}
	if got := screen(tm); !slices.Equal(got, want) {
		t.Fatalf("after region scroll %q, want %q", got, want)
	}
	if ops := tm.ScrollOps(); !slices.Equal(ops, []ScrollOp{{0, 3, 1}}) {
		t.Errorf("scroll ops = %v", ops)
	}
	if d := tm.Damage(); !slices.Equal(d, []bool{false, false, false, true, false}) {
		t.Errorf("damage = %v", d)
	}
	if tm.Cell(0, 4).Attr&AttrInverse == 0 {
		t.Error("status line lost inverse")
	}
	write(tm, "\x1b[2;1H\x1b[Lnew") // open a line (vim 'O')
	want = []string{"line2", "new", "line3", "line4", "line5"}
	if got := screen(tm); !slices.Equal(got, want) {
		t.Errorf("after IL %q, want %q", got, want)
	}
	write(tm, "\x1b[?1049l")
	if tm.ScrollbackLen() != 0 {
		t.Errorf("alternate screen scrolling reached history: %d rows", tm.ScrollbackLen())
	}
}

// TestHtopLike draws a coloured meter and a process list redrawn in
// place with absolute positioning and erase-to-end-of-line.
func TestHtopLike(t *testing.T) {
	tm := New(20, 4, Options{})
	frame := func(n int) string {
		var b strings.Builder
		b.WriteString("\x1b[?1049h\x1b[?25l\x1b[1;1H\x1b[1mCPU\x1b[m[\x1b[32m||||\x1b[31m||\x1b[m   ]\x1b[K")
		for i := range 3 {
			b.WriteString("\x1b[" + string(rune('2'+i)) + ";1H\x1b[30;46m")
			b.WriteString(strings.Repeat("p", n+i))
			b.WriteString("\x1b[m\x1b[K")
		}
		return b.String()
	}
	write(tm, frame(3))
	write(tm, frame(1))
	want := []string{"CPU[||||||   ]", "p", "pp", "ppp"}
	if got := screen(tm); !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if c := tm.Cell(4, 0); c.FG != PaletteColor(2) {
		t.Errorf("meter colour %x", c.FG)
	}
	if c := tm.Cell(0, 1); c.BG != PaletteColor(6) || c.FG != PaletteColor(0) {
		t.Errorf("row colours %+v", c)
	}
	if _, _, vis := tm.Cursor(); vis {
		t.Error("cursor visible")
	}
}

func TestScrollbackAndView(t *testing.T) {
	tm := New(8, 3, Options{Scrollback: 5})
	for i := range 10 {
		write(tm, "line"+string(rune('0'+i))+"\r\n")
	}
	if n := tm.ScrollbackLen(); n != 5 {
		t.Fatalf("scrollback = %d, want 5", n)
	}
	tm.ClearDamage()
	tm.ScrollView(2)
	if got := screen(tm); got[0] != "line8" {
		// String shows the live screen; Row shows the view.
		t.Fatalf("live screen changed: %q", got)
	}
	view := func() []string {
		var out []string
		for y := range tm.Rows() {
			l := line{cells: tm.Row(y)}
			out = append(out, string(l.text(0, 8, tm, true)))
		}
		return out
	}
	if got := view(); !slices.Equal(got, []string{"line6", "line7", "line8"}) {
		t.Errorf("view = %q", got)
	}
	if ops := tm.ScrollOps(); !slices.Equal(ops, []ScrollOp{{0, 2, -2}}) {
		t.Errorf("view scroll ops = %v", ops)
	}
	write(tm, "more\r\n") // output while scrolled back keeps the view on its text
	if got := view(); !slices.Equal(got, []string{"line6", "line7", "line8"}) {
		t.Errorf("view moved with output: %q", got)
	}
	tm.ScrollView(100)
	if got := view(); got[0] != "line4" || tm.ViewOffset() != 5 {
		t.Errorf("top of history = %q offset %d", got, tm.ViewOffset())
	}
	tm.ResetView()
	if tm.ViewOffset() != 0 || screen(tm)[0] != "line9" {
		t.Errorf("reset view: %d %q", tm.ViewOffset(), screen(tm))
	}
	write(tm, "\x1b[3J")
	if tm.ScrollbackLen() != 0 {
		t.Error("ED 3 kept history")
	}
}

func TestScrollOpsMerge(t *testing.T) {
	tm := New(5, 4, Options{})
	write(tm, "\x1b[4;1H")
	tm.ClearDamage()
	write(tm, "a\nb\nc\n")
	if ops := tm.ScrollOps(); !slices.Equal(ops, []ScrollOp{{0, 3, 3}}) {
		t.Errorf("ops = %v", ops)
	}
	if d := tm.Damage(); !slices.Equal(d, []bool{true, true, true, true}) {
		t.Errorf("damage = %v", d)
	}
	tm.ClearDamage()
	write(tm, strings.Repeat("\n", 10))
	if ops := tm.ScrollOps(); !slices.Equal(ops, []ScrollOp{{0, 3, 4}}) {
		t.Errorf("ops capped = %v", ops)
	}
	tm.ClearDamage()
	write(tm, "\x1b[2;3r\x1b[2;1H\x1bM")
	if ops := tm.ScrollOps(); !slices.Equal(ops, []ScrollOp{{1, 2, -1}}) {
		t.Errorf("RI ops = %v", ops)
	}
	if d := tm.Damage(); !slices.Equal(d, []bool{false, true, false, false}) {
		t.Errorf("RI damage = %v", d)
	}
}

func TestResize(t *testing.T) {
	tm := write(New(6, 4, Options{}), "a\r\nb\r\nc\r\nd")
	tm.Resize(4, 2)
	if got := screen(tm); !slices.Equal(got, []string{"c", "d"}) {
		t.Errorf("shrunk = %q", got)
	}
	if x, y, _ := tm.Cursor(); x != 1 || y != 1 {
		t.Errorf("cursor = %d,%d", x, y)
	}
	if tm.ScrollbackLen() != 2 {
		t.Errorf("history = %d, want 2", tm.ScrollbackLen())
	}
	tm.Resize(8, 3)
	if got := screen(tm); !slices.Equal(got, []string{"c", "d", ""}) || len(tm.Row(0)) != 8 {
		t.Errorf("grown = %q", got)
	}
	// Blank rows below the cursor go first.
	tm = write(New(4, 4, Options{}), "x")
	tm.Resize(4, 2)
	if got := screen(tm); got[0] != "x" || tm.ScrollbackLen() != 0 {
		t.Errorf("blank rows not dropped first: %q", got)
	}
	// A wide character cut by the new edge is blanked.
	tm = write(New(4, 1, Options{}), "ab中")
	tm.Resize(3, 1)
	if got := screen(tm); got[0] != "ab" {
		t.Errorf("cut wide char: %q", got)
	}
}

func TestSelection(t *testing.T) {
	tm := New(10, 6, Options{})
	write(tm, "hello world\r\nfoo /usr/bin bar\r\n  x  ")
	// Row 0 "hello worl", row 1 "d" (wrapped), row 2 "foo /usr/b", ...
	tests := []struct {
		name           string
		x0, y0, x1, y1 int
		mode           SelectMode
		want           string
	}{
		{"chars", 1, 0, 3, 0, SelectChar, "ell"},
		{"backwards", 3, 0, 1, 0, SelectChar, "ell"},
		{"across wrap", 6, 0, 0, 1, SelectChar, "world"},
		{"word", 7, 0, 7, 0, SelectWord, "worl"},
		{"path word", 6, 2, 6, 2, SelectWord, "/usr/b"},
		{"line joins wrap", 3, 1, 3, 1, SelectLine, "hello world"},
		{"multi line", 0, 1, 3, 2, SelectChar, "d\nfoo "},
		{"block", 2, 2, 0, 0, SelectBlock, "hel\nd\nfoo"},
	}
	for _, tc := range tests {
		tm.SelectStart(tc.x0, tc.y0, tc.mode)
		tm.SelectExtend(tc.x1, tc.y1)
		if got := tm.SelectionText(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	tm.SelectStart(2, 0, SelectChar)
	tm.SelectExtend(4, 1)
	if x0, x1, ok := tm.SelectionSpan(0); !ok || x0 != 2 || x1 != 10 {
		t.Errorf("span row 0 = %d,%d,%v", x0, x1, ok)
	}
	if x0, x1, ok := tm.SelectionSpan(1); !ok || x0 != 0 || x1 != 5 {
		t.Errorf("span row 1 = %d,%d,%v", x0, x1, ok)
	}
	if _, _, ok := tm.SelectionSpan(2); ok {
		t.Error("row 2 selected")
	}
	tm.SelectStart(4, 0, SelectBlock)
	tm.SelectExtend(2, 2)
	if x0, x1, ok := tm.SelectionSpan(1); !ok || x0 != 2 || x1 != 5 {
		t.Errorf("block span row 1 = %d,%d,%v", x0, x1, ok)
	}
	tm.ClearDamage()
	tm.ClearSelection()
	if tm.SelectionText() != "" || !tm.Damage()[0] || !tm.Damage()[1] || tm.Damage()[3] || tm.Damage()[5] {
		t.Errorf("clear: %q damage %v", tm.SelectionText(), tm.Damage())
	}
}

func TestSchemes(t *testing.T) {
	tests := []struct {
		spec   string
		fg, bg color.RGBA
		c3     color.RGBA
	}{
		{"", basePalette[7], basePalette[0], basePalette[3]},
		{"gray-black", basePalette[7], basePalette[0], basePalette[3]},
		{"black-white", basePalette[0], basePalette[15], basePalette[3]},
		{"green-black", basePalette[2], basePalette[0], basePalette[3]},
		{"white-black", basePalette[15], basePalette[0], basePalette[3]},
		{"foreground: rgb:f/8/0; background:navy;color3:#102030;", color.RGBA{255, 136, 0, 255}, color.RGBA{0, 0, 128, 255}, color.RGBA{0x10, 0x20, 0x30, 255}},
		{"foreground:rgb:ffff/0000/8080;background:color4;color3:Dark Gray", color.RGBA{255, 0, 128, 255}, basePalette[4], color.RGBA{169, 169, 169, 255}},
	}
	for _, tc := range tests {
		s, err := ParseScheme(tc.spec)
		if err != nil {
			t.Errorf("%q: %v", tc.spec, err)
			continue
		}
		if s.FG != tc.fg || s.BG != tc.bg || s.Palette[3] != tc.c3 {
			t.Errorf("%q: fg %v bg %v c3 %v", tc.spec, s.FG, s.BG, s.Palette[3])
		}
	}
	for _, bad := range []string{"foreground", "foreground:nosuch", "color300:red", "bogus:red", "fg:rgb:1/2", "foreground:rgb:12345/0/0"} {
		if _, err := ParseScheme(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p := defaultPalette()
	if p[16] != (color.RGBA{0, 0, 0, 255}) || p[21] != (color.RGBA{0, 0, 255, 255}) || p[196] != (color.RGBA{255, 0, 0, 255}) || p[244] != (color.RGBA{128, 128, 128, 255}) {
		t.Errorf("256-colour palette wrong: %v %v %v %v", p[16], p[21], p[196], p[244])
	}
}

func TestResolve(t *testing.T) {
	s := DefaultScheme()
	tests := []struct {
		c      Cell
		fg, bg color.RGBA
	}{
		{Cell{}, s.FG, s.BG},
		{Cell{FG: PaletteColor(1), Attr: AttrBold}, basePalette[9], s.BG},
		{Cell{FG: PaletteColor(100), Attr: AttrBold}, s.Palette[100], s.BG},
		{Cell{FG: RGBColor(1, 2, 3), BG: PaletteColor(4), Attr: AttrInverse}, s.Palette[4], color.RGBA{1, 2, 3, 255}},
		{Cell{BG: PaletteColor(4), Attr: AttrConceal}, s.Palette[4], s.Palette[4]},
		{Cell{FG: RGBColor(200, 100, 0), Attr: AttrFaint}, color.RGBA{100, 50, 0, 255}, s.BG},
	}
	for _, tc := range tests {
		fg, bg := s.Resolve(tc.c)
		if fg != tc.fg || bg != tc.bg {
			t.Errorf("%+v: %v %v, want %v %v", tc.c, fg, bg, tc.fg, tc.bg)
		}
	}
}
