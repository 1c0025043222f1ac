package term

import "strconv"

// Mods is a set of held modifier keys.
type Mods uint8

// Modifier keys. Super and Hyper count as Meta, as in guacd.
const (
	ModShift Mods = 1 << iota
	ModCtrl
	ModAlt
	ModMeta
)

// Modes is the input-relevant state of a terminal plus the key settings
// from the connection parameters; get it from [Terminal.Modes].
type Modes struct {
	AppCursor      bool // DECCKM: arrows send ESC O x
	AppKeypad      bool // DECKPAM
	BracketedPaste bool // ?2004
	LNM            bool // Enter sends CR LF
	Mouse          MouseMode
	MouseEncoding  MouseEncoding

	Backspace byte // byte for BackSpace (guacd `backspace`, default 127)
	LinuxKeys bool // terminal-type linux: End is ESC[4~
	VT100Keys bool // func-keys-and-keypad=vt100
}

// Modes returns the current input modes.
func (t *Terminal) Modes() Modes {
	return Modes{
		AppCursor:      t.appCursor,
		AppKeypad:      t.appKeypad,
		BracketedPaste: t.bracketed,
		LNM:            t.lnm,
		Mouse:          t.mouseMode,
		MouseEncoding:  t.mouseEnc,
		Backspace:      t.opts.Backspace,
		LinuxKeys:      t.opts.TerminalType == "linux",
		VT100Keys:      t.opts.VT100FuncKeys,
	}
}

// X11 keysyms used below (keysymdef.h).
const (
	ksBackSpace   = 0xFF08
	ksTab         = 0xFF09
	ksReturn      = 0xFF0D
	ksEscape      = 0xFF1B
	ksHome        = 0xFF50
	ksLeft        = 0xFF51
	ksUp          = 0xFF52
	ksRight       = 0xFF53
	ksDown        = 0xFF54
	ksPageUp      = 0xFF55
	ksPageDown    = 0xFF56
	ksEnd         = 0xFF57
	ksInsert      = 0xFF63
	ksKPTab       = 0xFF89
	ksKPEnter     = 0xFF8D
	ksKPF1        = 0xFF91
	ksKPHome      = 0xFF95
	ksKPDelete    = 0xFF9F
	ksKPMultiply  = 0xFFAA
	ksKP0         = 0xFFB0
	ksKP9         = 0xFFB9
	ksF1          = 0xFFBE
	ksF12         = 0xFFC9
	ksDelete      = 0xFFFF
	ksISOLeftTab  = 0xFE20
	ksShiftL      = 0xFFE1
	ksHyperR      = 0xFFEE
	ksUnicodeBase = 0x01000000
)

// keypad keysyms KP_Home..KP_Delete (0xFF95–0xFF9F) as their main keys.
var keypadNav = [11]uint32{ksHome, ksLeft, ksUp, ksRight, ksDown, ksPageUp, ksPageDown, ksEnd, 0xFF58, ksInsert, ksDelete}

// EncodeKey returns the bytes a key press sends to the remote program, as
// guacd's terminal produces them, or nil for keys that send nothing
// (modifiers, unknown keysyms).
func EncodeKey(keysym uint32, mods Mods, m Modes) []byte {
	if keysym >= ksKPHome && keysym <= ksKPDelete {
		keysym = keypadNav[keysym-ksKPHome]
	}
	if keysym >= ksShiftL && keysym <= ksHyperR || keysym == 0xFE03 {
		return nil // modifiers, Caps Lock, AltGr
	}
	var out []byte
	if mods&ModAlt != 0 && !usesModParam(keysym) {
		out = append(out, 0x1B)
	}
	if mods&ModCtrl != 0 {
		if c, ok := ctrlByte(keysym); ok {
			return append(out, c)
		}
	}
	switch {
	case keysym < 0x100 && keysym >= 0x20:
		return appendRune(out, rune(keysym))
	case keysym&0xFF000000 == ksUnicodeBase:
		r := rune(keysym & 0x00FFFFFF)
		if r > 0x10FFFF {
			return nil
		}
		return appendRune(out, r)
	case keysym >= ksKPMultiply && keysym <= ksKP9:
		if m.AppKeypad && m.VT100Keys {
			if c, ok := keypadApp(keysym); ok {
				return append(out, 0x1B, 'O', c)
			}
		}
		return append(out, byte(keysym-0xFF80))
	}
	mod := modParam(mods)
	switch keysym {
	case ksBackSpace:
		if mods&ModCtrl != 0 {
			return append(out, 0x17) // ^W, as guacd
		}
		return append(out, m.Backspace)
	case ksTab, ksKPTab:
		if mods&ModShift != 0 {
			return append(out, "\x1b[Z"...)
		}
		return append(out, '\t')
	case ksISOLeftTab:
		return append(out, "\x1b[Z"...)
	case ksReturn, ksKPEnter:
		if m.LNM {
			return append(out, '\r', '\n')
		}
		return append(out, '\r')
	case ksEscape:
		return append(out, 0x1B)
	case ksUp, ksDown, ksRight, ksLeft:
		c := "DACB"[keysym-ksLeft]
		switch {
		case mod > 1:
			return csiMod(out, 1, mod, c)
		case m.AppCursor:
			return append(out, 0x1B, 'O', c)
		}
		return append(out, 0x1B, '[', c)
	case ksHome:
		if mod > 1 {
			return csiMod(out, 1, mod, 'H')
		}
		return append(out, "\x1b[1~"...)
	case ksEnd:
		switch {
		case mod > 1:
			return csiMod(out, 1, mod, 'F')
		case m.LinuxKeys:
			return append(out, "\x1b[4~"...)
		}
		return append(out, "\x1b[F"...)
	case ksInsert:
		return tilde(out, 2, mod)
	case ksDelete:
		if mods&ModCtrl != 0 {
			return append(out, 0x1B, 'D') // as guacd
		}
		return tilde(out, 3, mod)
	case ksPageUp:
		return tilde(out, 5, mod)
	case ksPageDown:
		return tilde(out, 6, mod)
	}
	if keysym >= ksKPF1 && keysym < ksKPF1+4 {
		keysym = keysym - ksKPF1 + ksF1
	}
	if keysym >= ksF1 && keysym <= ksF12 {
		return funcKey(out, int(keysym-ksF1)+1, mod, m)
	}
	return nil
}

// funcKey encodes F1–F12. guacd numbers F6–F12 consecutively
// (ESC[17~ … ESC[23~), unlike xterm's gap at 22; we match guacd.
func funcKey(out []byte, n, mod int, m Modes) []byte {
	switch {
	case n <= 4 && mod > 1:
		return csiMod(out, 1, mod, "PQRS"[n-1])
	case n <= 4 && m.VT100Keys:
		return append(out, 0x1B, 'O', "PQRS"[n-1])
	case n == 5 && m.VT100Keys:
		return tilde(out, 15, mod)
	case n <= 5 && mod <= 1:
		return append(out, 0x1B, '[', '[', "ABCDE"[n-1])
	case n == 5:
		return tilde(out, 15, mod)
	}
	return tilde(out, 11+n, mod)
}

// usesModParam reports whether the key carries modifiers in a CSI
// parameter (xterm style) instead of an ESC prefix for Alt.
func usesModParam(k uint32) bool {
	return k >= ksHome && k <= ksEnd || k == ksInsert || k == ksDelete ||
		k >= ksF1 && k <= ksF12 || k >= ksKPF1 && k < ksKPF1+4
}

// ctrlByte maps Ctrl+key to a C0 byte the way guacd does.
func ctrlByte(k uint32) (byte, bool) {
	switch {
	case k >= '@' && k <= '_':
		return byte(k - '@'), true
	case k >= 'a' && k <= 'z':
		return byte(k - 'a' + 1), true
	case k == '?':
		return 0x7F, true
	case k == '2' || k == ' ':
		return 0, true
	case k >= '3' && k <= '7':
		return byte(k - '3' + 0x1B), true
	}
	return 0, false
}

// keypadApp maps keypad keysyms to their DECKPAM final bytes (ESC O x).
func keypadApp(k uint32) (byte, bool) {
	switch {
	case k >= ksKP0 && k <= ksKP9:
		return byte('p' + k - ksKP0), true
	case k == 0xFFAD:
		return 'm', true
	case k == 0xFFAE:
		return 'n', true
	case k == 0xFFAA:
		return 'j', true
	case k == 0xFFAB:
		return 'k', true
	case k == 0xFFAC:
		return 'l', true
	case k == 0xFFAF:
		return 'o', true
	}
	return 0, false
}

// modParam is xterm's modifier parameter: 1 + shift + 2·alt + 4·ctrl + 8·meta.
func modParam(m Mods) int {
	p := 1
	if m&ModShift != 0 {
		p++
	}
	if m&ModAlt != 0 {
		p += 2
	}
	if m&ModCtrl != 0 {
		p += 4
	}
	if m&ModMeta != 0 {
		p += 8
	}
	return p
}

func csiMod(out []byte, n, mod int, final byte) []byte {
	out = append(out, 0x1B, '[')
	out = strconv.AppendInt(out, int64(n), 10)
	out = append(out, ';')
	out = strconv.AppendInt(out, int64(mod), 10)
	return append(out, final)
}

func tilde(out []byte, n, mod int) []byte {
	if mod > 1 {
		return csiMod(out, n, mod, '~')
	}
	out = append(out, 0x1B, '[')
	out = strconv.AppendInt(out, int64(n), 10)
	return append(out, '~')
}

// Paste returns text as it should be sent for a paste: newlines become CR
// (what a key press of Enter sends), and with bracketed paste on the text
// is wrapped in ESC[200~ … ESC[201~ after removing any embedded end marker
// so pasted text cannot break out of the bracket.
func Paste(text string, m Modes) []byte {
	out := make([]byte, 0, len(text)+12)
	if m.BracketedPaste {
		out = append(out, "\x1b[200~"...)
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\r' && i+1 < len(text) && text[i+1] == '\n':
			continue
		case c == '\n':
			c = '\r'
		case c == 0x1B && m.BracketedPaste && hasPrefixAt(text, i, "\x1b[201~"):
			i += len("\x1b[201~") - 1
			continue
		}
		out = append(out, c)
	}
	if m.BracketedPaste {
		out = append(out, "\x1b[201~"...)
	}
	return out
}

func hasPrefixAt(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}
