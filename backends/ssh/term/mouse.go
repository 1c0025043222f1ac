package term

import (
	"strconv"
	"unicode/utf8"
)

// MouseMode is the mouse reporting mode the remote program asked for.
type MouseMode uint8

// Mouse reporting modes (DECSET 9, 1000, 1002, 1003).
const (
	MouseOff         MouseMode = iota
	MouseX10                   // ?9: presses only
	MouseNormal                // ?1000: presses and releases
	MouseButtonEvent           // ?1002: plus motion while a button is held
	MouseAnyEvent              // ?1003: plus all motion
)

// MouseEncoding is how reports are encoded (DECSET 1005, 1006).
type MouseEncoding uint8

// Mouse report encodings.
const (
	MouseEncodingX10  MouseEncoding = iota // ESC [ M b x y, one byte each
	MouseEncodingUTF8                      // ?1005: values as UTF-8
	MouseEncodingSGR                       // ?1006: ESC [ < b ; x ; y M/m
)

// MouseButton identifies a button in a mouse report.
type MouseButton uint8

// Buttons; wheel "buttons" only ever press.
const (
	ButtonLeft MouseButton = iota
	ButtonMiddle
	ButtonRight
	ButtonNone // motion without a button
	ButtonWheelUp
	ButtonWheelDown
)

// MouseAction is what happened to the button.
type MouseAction uint8

// Mouse actions.
const (
	MousePress MouseAction = iota
	MouseRelease
	MouseMotion
)

// MouseEvent is one pointer event in cell coordinates (0-based).
type MouseEvent struct {
	Button   MouseButton
	Action   MouseAction
	Col, Row int
	Mods     Mods
}

// EncodeMouse returns the report for ev under the modes in m, or nil when
// the mode does not report it (or coordinates cannot be encoded).
func EncodeMouse(ev MouseEvent, m Modes) []byte {
	switch m.Mouse {
	case MouseOff:
		return nil
	case MouseX10:
		if ev.Action != MousePress {
			return nil
		}
	case MouseNormal:
		if ev.Action == MouseMotion {
			return nil
		}
	case MouseButtonEvent:
		if ev.Action == MouseMotion && ev.Button == ButtonNone {
			return nil
		}
	}
	if ev.Action == MouseRelease && (ev.Button == ButtonWheelUp || ev.Button == ButtonWheelDown) {
		return nil
	}
	var b int
	switch ev.Button {
	case ButtonWheelUp:
		b = 64
	case ButtonWheelDown:
		b = 65
	default:
		b = int(ev.Button)
	}
	if ev.Action == MouseRelease && m.MouseEncoding != MouseEncodingSGR {
		b = 3 // legacy encodings cannot say which button was released
	}
	if ev.Action == MouseMotion {
		b += 32
	}
	if m.Mouse != MouseX10 {
		if ev.Mods&ModShift != 0 {
			b += 4
		}
		if ev.Mods&(ModAlt|ModMeta) != 0 {
			b += 8
		}
		if ev.Mods&ModCtrl != 0 {
			b += 16
		}
	}
	x, y := max(ev.Col, 0)+1, max(ev.Row, 0)+1
	out := []byte{0x1B, '['}
	switch m.MouseEncoding {
	case MouseEncodingSGR:
		out = append(out, '<')
		out = strconv.AppendInt(out, int64(b), 10)
		out = append(out, ';')
		out = strconv.AppendInt(out, int64(x), 10)
		out = append(out, ';')
		out = strconv.AppendInt(out, int64(y), 10)
		if ev.Action == MouseRelease {
			return append(out, 'm')
		}
		return append(out, 'M')
	case MouseEncodingUTF8:
		if x > 2015 || y > 2015 {
			return nil
		}
		out = append(out, 'M')
		for _, v := range [3]int{b + 32, x + 32, y + 32} {
			out = utf8.AppendRune(out, rune(v))
		}
		return out
	}
	if x > 223 || y > 223 {
		return nil
	}
	return append(out, 'M', byte(b+32), byte(x+32), byte(y+32))
}

// Guacamole mouse button mask bits.
const (
	GuacMouseLeft       = 1
	GuacMouseMiddle     = 2
	GuacMouseRight      = 4
	GuacMouseScrollUp   = 8
	GuacMouseScrollDown = 16
)

// inputState tracks what Guacamole input events need remembered.
type inputState struct {
	mods      Mods
	heldShift [2]bool // left and right, tracked separately
	mask      int
	col, row  int
}

// MouseReport turns a Guacamole `mouse` event, already converted to a cell
// position, into the reports for the remote program. It returns nil when
// mouse reporting is off or Shift is held (Shift bypasses reporting so the
// user can still select text, as in xterm); the caller then handles the
// event locally (selection, wheel scrolling, paste).
func (t *Terminal) MouseReport(col, row, mask int) []byte {
	in := &t.in
	prev := in.mask
	moved := col != in.col || row != in.row
	in.mask, in.col, in.row = mask, col, row
	m := t.Modes()
	if m.Mouse == MouseOff || in.mods&ModShift != 0 {
		return nil
	}
	var out []byte
	ev := MouseEvent{Col: col, Row: row, Mods: in.mods}
	buttons := [...]struct {
		bit int
		b   MouseButton
	}{
		{GuacMouseLeft, ButtonLeft}, {GuacMouseMiddle, ButtonMiddle}, {GuacMouseRight, ButtonRight},
		{GuacMouseScrollUp, ButtonWheelUp}, {GuacMouseScrollDown, ButtonWheelDown},
	}
	for _, bt := range buttons {
		was, is := prev&bt.bit != 0, mask&bt.bit != 0
		if was == is {
			continue
		}
		ev.Button, ev.Action = bt.b, MousePress
		if was {
			ev.Action = MouseRelease
		}
		out = append(out, EncodeMouse(ev, m)...)
	}
	if moved && mask == prev {
		ev.Action, ev.Button = MouseMotion, ButtonNone
		switch {
		case mask&GuacMouseLeft != 0:
			ev.Button = ButtonLeft
		case mask&GuacMouseMiddle != 0:
			ev.Button = ButtonMiddle
		case mask&GuacMouseRight != 0:
			ev.Button = ButtonRight
		}
		out = append(out, EncodeMouse(ev, m)...)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}

// KeyEvent handles a Guacamole `key` event: it tracks modifier state and,
// for presses, returns the bytes to send. Shift+PgUp/PgDn/Up/Down/Home/End
// scroll the view through history instead (nil is returned); any other key
// jumps back to the live screen. paste reports guacd's paste shortcuts
// (Ctrl+Shift+V, Meta+v): the caller should send its clipboard with Paste.
func (t *Terminal) KeyEvent(keysym uint32, pressed bool) (out []byte, paste bool) {
	in := &t.in
	var bit Mods
	switch keysym {
	case 0xFFE1, 0xFFE2:
		in.heldShift[keysym-0xFFE1] = pressed
		if in.heldShift[0] || in.heldShift[1] {
			in.mods |= ModShift
		} else {
			in.mods &^= ModShift
		}
		return nil, false
	case 0xFFE3, 0xFFE4:
		bit = ModCtrl
	case 0xFFE9, 0xFFEA:
		bit = ModAlt
	case 0xFFE7, 0xFFE8, 0xFFEB, 0xFFEC, 0xFFED, 0xFFEE:
		bit = ModMeta
	}
	if bit != 0 {
		if pressed {
			in.mods |= bit
		} else {
			in.mods &^= bit
		}
		return nil, false
	}
	if !pressed {
		return nil, false
	}
	mods := in.mods
	switch {
	case mods&(ModCtrl|ModShift) == ModCtrl|ModShift && (keysym == 'V' || keysym == 'v'):
		return nil, true
	case mods&ModMeta != 0 && keysym == 'v':
		return nil, true
	case mods&(ModCtrl|ModShift) == ModCtrl|ModShift && (keysym == 'C' || keysym == 'c'),
		mods&ModMeta != 0 && keysym == 'c':
		return nil, false
	}
	if mods&ModShift != 0 && !t.altOn {
		switch keysym {
		case ksPageUp:
			t.ScrollView(t.rows)
			return nil, false
		case ksPageDown:
			t.ScrollView(-t.rows)
			return nil, false
		case ksUp:
			t.ScrollView(1)
			return nil, false
		case ksDown:
			t.ScrollView(-1)
			return nil, false
		case ksHome:
			t.ScrollView(t.sb.n)
			return nil, false
		case ksEnd:
			t.ResetView()
			return nil, false
		}
	}
	out = EncodeKey(keysym, mods, t.Modes())
	if out != nil {
		t.ResetView()
	}
	return out, false
}

// HeldMods returns the modifiers currently held according to KeyEvent.
func (t *Terminal) HeldMods() Mods { return t.in.mods }
