package term

import (
	"testing"
)

func TestEncodeKey(t *testing.T) {
	def := Modes{Backspace: 127, LinuxKeys: true}
	app := def
	app.AppCursor = true
	xterm := Modes{Backspace: 8}
	vt100 := Modes{Backspace: 127, VT100Keys: true, AppKeypad: true}
	tests := []struct {
		name   string
		keysym uint32
		mods   Mods
		m      Modes
		want   string
	}{
		{"letter", 'a', 0, def, "a"},
		{"latin1", 0xE9, 0, def, "é"},
		{"unicode keysym", 0x01004E2D, 0, def, "中"},
		{"ctrl+a", 'a', ModCtrl, def, "\x01"},
		{"ctrl+A", 'A', ModCtrl | ModShift, def, "\x01"},
		{"ctrl+[", '[', ModCtrl, def, "\x1b"},
		{"ctrl+@", '@', ModCtrl, def, "\x00"},
		{"ctrl+2", '2', ModCtrl, def, "\x00"},
		{"ctrl+space", ' ', ModCtrl, def, "\x00"},
		{"ctrl+3", '3', ModCtrl, def, "\x1b"},
		{"ctrl+6", '6', ModCtrl, def, "\x1e"},
		{"ctrl+7", '7', ModCtrl, def, "\x1f"},
		{"ctrl+?", '?', ModCtrl, def, "\x7f"},
		{"alt+x", 'x', ModAlt, def, "\x1bx"},
		{"ctrl+alt+c", 'c', ModCtrl | ModAlt, def, "\x1b\x03"},
		{"backspace", 0xFF08, 0, def, "\x7f"},
		{"backspace 8", 0xFF08, 0, xterm, "\x08"},
		{"ctrl+backspace", 0xFF08, ModCtrl, def, "\x17"},
		{"tab", 0xFF09, 0, def, "\t"},
		{"shift+tab", 0xFF09, ModShift, def, "\x1b[Z"},
		{"iso left tab", 0xFE20, ModShift, def, "\x1b[Z"},
		{"enter", 0xFF0D, 0, def, "\r"},
		{"kp enter", 0xFF8D, 0, def, "\r"},
		{"enter LNM", 0xFF0D, 0, Modes{LNM: true}, "\r\n"},
		{"escape", 0xFF1B, 0, def, "\x1b"},
		{"up", 0xFF52, 0, def, "\x1b[A"},
		{"down", 0xFF54, 0, def, "\x1b[B"},
		{"right", 0xFF53, 0, def, "\x1b[C"},
		{"left", 0xFF51, 0, def, "\x1b[D"},
		{"up DECCKM", 0xFF52, 0, app, "\x1bOA"},
		{"left DECCKM", 0xFF51, 0, app, "\x1bOD"},
		{"kp up", 0xFF97, 0, def, "\x1b[A"},
		{"ctrl+left", 0xFF51, ModCtrl, def, "\x1b[1;5D"},
		{"ctrl+right DECCKM", 0xFF53, ModCtrl, app, "\x1b[1;5C"},
		{"shift+up", 0xFF52, ModShift, def, "\x1b[1;2A"},
		{"alt+up", 0xFF52, ModAlt, def, "\x1b[1;3A"},
		{"home", 0xFF50, 0, def, "\x1b[1~"},
		{"home xterm", 0xFF50, 0, xterm, "\x1b[1~"},
		{"end linux", 0xFF57, 0, def, "\x1b[4~"},
		{"end xterm", 0xFF57, 0, xterm, "\x1b[F"},
		{"ctrl+end", 0xFF57, ModCtrl, def, "\x1b[1;5F"},
		{"pgup", 0xFF55, 0, def, "\x1b[5~"},
		{"pgdn", 0xFF56, 0, def, "\x1b[6~"},
		{"ctrl+pgdn", 0xFF56, ModCtrl, def, "\x1b[6;5~"},
		{"insert", 0xFF63, 0, def, "\x1b[2~"},
		{"delete", 0xFFFF, 0, def, "\x1b[3~"},
		{"kp delete", 0xFF9F, 0, def, "\x1b[3~"},
		{"ctrl+delete", 0xFFFF, ModCtrl, def, "\x1bD"},
		{"F1", 0xFFBE, 0, def, "\x1b[[A"},
		{"F5", 0xFFC2, 0, def, "\x1b[[E"},
		{"F6", 0xFFC3, 0, def, "\x1b[17~"},
		{"F10", 0xFFC7, 0, def, "\x1b[21~"},
		{"F11", 0xFFC8, 0, def, "\x1b[22~"},
		{"F12", 0xFFC9, 0, def, "\x1b[23~"},
		{"shift+F1", 0xFFBE, ModShift, def, "\x1b[1;2P"},
		{"ctrl+F12", 0xFFC9, ModCtrl, def, "\x1b[23;5~"},
		{"F1 vt100", 0xFFBE, 0, vt100, "\x1bOP"},
		{"F4 vt100", 0xFFC1, 0, vt100, "\x1bOS"},
		{"F5 vt100", 0xFFC2, 0, vt100, "\x1b[15~"},
		{"kp 5", 0xFFB5, 0, def, "5"},
		{"kp *", 0xFFAA, 0, def, "*"},
		{"kp 5 DECKPAM vt100", 0xFFB5, 0, vt100, "\x1bOu"},
		{"kp - DECKPAM vt100", 0xFFAD, 0, vt100, "\x1bOm"},
		{"kp 5 DECKPAM esc", 0xFFB5, 0, Modes{AppKeypad: true}, "5"},
		{"shift alone", 0xFFE1, ModShift, def, ""},
		{"unknown", 0xFF13, 0, def, ""},
	}
	for _, tc := range tests {
		if got := string(EncodeKey(tc.keysym, tc.mods, tc.m)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestKeyEvent(t *testing.T) {
	tm := New(10, 3, Options{})
	for range 10 {
		write(tm, "x\r\n")
	}
	type ev struct {
		keysym  uint32
		pressed bool
	}
	press := func(evs ...ev) (string, bool) {
		var out []byte
		var paste bool
		for _, e := range evs {
			b, p := tm.KeyEvent(e.keysym, e.pressed)
			out = append(out, b...)
			paste = paste || p
		}
		return string(out), paste
	}
	if got, _ := press(ev{0xFFE3, true}, ev{'c', true}, ev{'c', false}, ev{0xFFE3, false}, ev{'c', true}); got != "\x03c" {
		t.Errorf("ctrl tracking: %q", got)
	}
	if _, paste := press(ev{0xFFE3, true}, ev{0xFFE1, true}, ev{'V', true}, ev{0xFFE1, false}, ev{0xFFE3, false}); !paste {
		t.Error("Ctrl+Shift+V not a paste")
	}
	if _, paste := press(ev{0xFFE7, true}, ev{'v', true}, ev{0xFFE7, false}); !paste {
		t.Error("Meta+v not a paste")
	}
	if got, _ := press(ev{0xFFE1, true}, ev{0xFF55, true}, ev{0xFFE1, false}); got != "" || tm.ViewOffset() != 3 {
		t.Errorf("Shift+PgUp: %q offset %d", got, tm.ViewOffset())
	}
	if got, _ := press(ev{0xFFE2, true}, ev{0xFFE1, true}, ev{0xFFE1, false}, ev{0xFF52, true}, ev{0xFFE2, false}); got != "" || tm.ViewOffset() != 4 {
		t.Errorf("right Shift still held: %q offset %d", got, tm.ViewOffset())
	}
	if got, _ := press(ev{'a', true}); got != "a" || tm.ViewOffset() != 0 {
		t.Errorf("typing did not return to live screen: %q %d", got, tm.ViewOffset())
	}
	if tm.HeldMods() != 0 {
		t.Errorf("mods left held: %b", tm.HeldMods())
	}
}

func TestEncodeMouse(t *testing.T) {
	tests := []struct {
		name string
		ev   MouseEvent
		m    Modes
		want string
	}{
		{"off", MouseEvent{ButtonLeft, MousePress, 0, 0, 0}, Modes{}, ""},
		{"x10 press", MouseEvent{ButtonLeft, MousePress, 2, 3, ModShift}, Modes{Mouse: MouseX10}, "\x1b[M #$"},
		{"x10 no release", MouseEvent{ButtonLeft, MouseRelease, 2, 3, 0}, Modes{Mouse: MouseX10}, ""},
		{"normal release", MouseEvent{ButtonRight, MouseRelease, 0, 0, 0}, Modes{Mouse: MouseNormal}, "\x1b[M#!!"},
		{"normal mods", MouseEvent{ButtonMiddle, MousePress, 0, 0, ModCtrl | ModShift}, Modes{Mouse: MouseNormal}, "\x1b[M5!!"},
		{"normal no motion", MouseEvent{ButtonLeft, MouseMotion, 0, 0, 0}, Modes{Mouse: MouseNormal}, ""},
		{"button drag", MouseEvent{ButtonLeft, MouseMotion, 1, 1, 0}, Modes{Mouse: MouseButtonEvent}, "\x1b[M@\"\""},
		{"button no hover", MouseEvent{ButtonNone, MouseMotion, 1, 1, 0}, Modes{Mouse: MouseButtonEvent}, ""},
		{"any hover", MouseEvent{ButtonNone, MouseMotion, 1, 1, 0}, Modes{Mouse: MouseAnyEvent}, "\x1b[MC\"\""},
		{"wheel up", MouseEvent{ButtonWheelUp, MousePress, 0, 0, 0}, Modes{Mouse: MouseNormal}, "\x1b[M`!!"},
		{"wheel release dropped", MouseEvent{ButtonWheelDown, MouseRelease, 0, 0, 0}, Modes{Mouse: MouseNormal}, ""},
		{"sgr press", MouseEvent{ButtonLeft, MousePress, 299, 9, 0}, Modes{Mouse: MouseNormal, MouseEncoding: MouseEncodingSGR}, "\x1b[<0;300;10M"},
		{"sgr release", MouseEvent{ButtonRight, MouseRelease, 0, 0, 0}, Modes{Mouse: MouseNormal, MouseEncoding: MouseEncodingSGR}, "\x1b[<2;1;1m"},
		{"sgr wheel down", MouseEvent{ButtonWheelDown, MousePress, 4, 4, 0}, Modes{Mouse: MouseNormal, MouseEncoding: MouseEncodingSGR}, "\x1b[<65;5;5M"},
		{"x10 too far", MouseEvent{ButtonLeft, MousePress, 300, 0, 0}, Modes{Mouse: MouseNormal}, ""},
		{"utf8 far", MouseEvent{ButtonLeft, MousePress, 300, 0, 0}, Modes{Mouse: MouseNormal, MouseEncoding: MouseEncodingUTF8}, "\x1b[M \u014d!"},
	}
	for _, tc := range tests {
		if got := string(EncodeMouse(tc.ev, tc.m)); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMouseReport(t *testing.T) {
	tm := New(80, 24, Options{})
	if tm.MouseReport(1, 1, GuacMouseLeft) != nil {
		t.Fatal("reported with mouse mode off")
	}
	write(tm, "\x1b[?1002h\x1b[?1006h")
	steps := []struct {
		col, row, mask int
		want           string
	}{
		{0, 0, 0, "\x1b[<0;1;1m"}, // the press above was tracked though not reported
		{1, 2, GuacMouseLeft, "\x1b[<0;2;3M"},
		{3, 2, GuacMouseLeft, "\x1b[<32;4;3M"},
		{3, 2, 0, "\x1b[<0;4;3m"},
		{5, 5, 0, ""},
		{5, 5, GuacMouseScrollUp, "\x1b[<64;6;6M"},
		{5, 5, 0, ""},
	}
	for i, s := range steps {
		got := tm.MouseReport(s.col, s.row, s.mask)
		if got == nil || string(got) != s.want {
			t.Errorf("step %d: %q, want %q", i, got, s.want)
		}
	}
	tm.KeyEvent(0xFFE1, true)
	if tm.MouseReport(1, 1, GuacMouseLeft) != nil {
		t.Error("Shift did not bypass reporting")
	}
}

func TestPaste(t *testing.T) {
	tests := []struct {
		text string
		m    Modes
		want string
	}{
		{"ls\n", Modes{}, "ls\r"},
		{"a\r\nb", Modes{}, "a\rb"},
		{"x", Modes{BracketedPaste: true}, "\x1b[200~x\x1b[201~"},
		{"evil\x1b[201~rm -rf ~\n", Modes{BracketedPaste: true}, "\x1b[200~evilrm -rf ~\r\x1b[201~"},
	}
	for _, tc := range tests {
		if got := string(Paste(tc.text, tc.m)); got != tc.want {
			t.Errorf("Paste(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}
