package term

// The escape-sequence parser is our own small DEC/xterm state machine
// (after Paul Williams' VT500 diagram) rather than go-vte: go-vte allocates
// for every CSI's parameters and calls through an interface per byte, and
// the emulator must sustain well over 100 MB/s on plain text. Here printable
// ASCII runs bypass the state machine entirely.

type parseState uint8

const (
	stGround parseState = iota
	stEscape
	stEscInter
	stCSI
	stCSIIgnore
	stOSC
	stOSCEsc
	stString    // DCS, SOS, PM, APC: swallowed until ST
	stStringEsc // ESC seen inside a string
)

const (
	maxParams = 16
	maxOSC    = 4096
	maxParam  = 65535
)

type parser struct {
	state parseState

	// UTF-8 decoding in the ground state, carried across Write calls.
	utf8Need int
	utf8Buf  [4]byte
	utf8Len  int

	params   [maxParams]int
	subMask  uint32 // bit i: params[i] followed a ':' (an SGR sub-parameter)
	nParams  int
	hasParam bool
	private  byte // '?', '>', '<' or '=' leading the parameters
	inter    byte // last intermediate byte (0x20–0x2F)

	osc []byte
}

// Write feeds bytes from the remote side into the terminal. Sequences and
// UTF-8 characters may be split across calls. It never fails.
func (t *Terminal) Write(b []byte) (int, error) {
	p := &t.p
	for i := 0; i < len(b); {
		if p.state == stGround && p.utf8Need == 0 {
			// Fast path: a run of printable ASCII goes straight to the grid.
			j := i
			for j < len(b) && b[j] >= 0x20 && b[j] < 0x7F {
				j++
			}
			if j > i {
				t.printASCII(b[i:j])
				i = j
				continue
			}
		}
		t.advance(b[i])
		i++
	}
	return len(b), nil
}

func (t *Terminal) advance(c byte) {
	p := &t.p
	switch p.state {
	case stGround:
		t.ground(c)
	case stOSC:
		switch c {
		case 0x07:
			t.oscDispatch()
			p.state = stGround
		case 0x1B:
			p.state = stOSCEsc
		case 0x18, 0x1A:
			p.state = stGround
		default:
			if len(p.osc) < maxOSC {
				p.osc = append(p.osc, c)
			}
		}
	case stOSCEsc:
		t.oscDispatch()
		t.escapeAfterString(c)
	case stString:
		switch c {
		case 0x1B:
			p.state = stStringEsc
		case 0x07, 0x18, 0x1A:
			// BEL ends strings in xterm too; CAN/SUB cancel them.
			p.state = stGround
		}
	case stStringEsc:
		t.escapeAfterString(c)
	default:
		t.sequence(c)
	}
}

// escapeAfterString handles the byte after ESC that ended a string: '\'
// completes ST, anything else starts a new escape sequence.
func (t *Terminal) escapeAfterString(c byte) {
	t.p.state = stGround
	if c != '\\' {
		t.enterEscape()
		t.advance(c)
	}
}

func (t *Terminal) enterEscape() {
	p := &t.p
	p.state = stEscape
	p.inter = 0
}

func (t *Terminal) enterCSI() {
	p := &t.p
	p.state = stCSI
	p.nParams, p.hasParam, p.subMask = 0, false, 0
	p.params[0] = 0
	p.private, p.inter = 0, 0
}

// ground handles a byte outside any sequence: controls and UTF-8.
func (t *Terminal) ground(c byte) {
	p := &t.p
	if p.utf8Need > 0 {
		if c&0xC0 == 0x80 {
			p.utf8Buf[p.utf8Len] = c
			p.utf8Len++
			if p.utf8Len == p.utf8Need {
				p.utf8Need = 0
				t.print(decodeUTF8(p.utf8Buf[:p.utf8Len]))
			}
			return
		}
		// Truncated sequence: show a replacement, then handle c afresh.
		p.utf8Need = 0
		t.print(0xFFFD)
	}
	switch {
	case c < 0x20 || c == 0x7F:
		t.execute(c)
	case c < 0x80:
		t.print(rune(c))
	case c >= 0xC2 && c <= 0xF4:
		p.utf8Buf[0] = c
		p.utf8Len = 1
		switch {
		case c < 0xE0:
			p.utf8Need = 2
		case c < 0xF0:
			p.utf8Need = 3
		default:
			p.utf8Need = 4
		}
	default:
		t.print(0xFFFD)
	}
}

// decodeUTF8 decodes a complete sequence whose lead byte fixed its length;
// overlong forms and surrogates become U+FFFD.
func decodeUTF8(b []byte) rune {
	var r rune
	switch len(b) {
	case 2:
		r = rune(b[0]&0x1F)<<6 | rune(b[1]&0x3F)
	case 3:
		r = rune(b[0]&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F)
		if r < 0x800 || r >= 0xD800 && r < 0xE000 {
			return 0xFFFD
		}
	case 4:
		r = rune(b[0]&0x07)<<18 | rune(b[1]&0x3F)<<12 | rune(b[2]&0x3F)<<6 | rune(b[3]&0x3F)
		if r < 0x10000 || r > 0x10FFFF {
			return 0xFFFD
		}
	}
	return r
}

// sequence advances the ESC and CSI states.
func (t *Terminal) sequence(c byte) {
	p := &t.p
	// C0 controls act even in the middle of a sequence (VT100 behaviour).
	if c < 0x20 {
		switch c {
		case 0x1B:
			t.enterEscape()
		case 0x18, 0x1A:
			p.state = stGround
		default:
			t.execute(c)
		}
		return
	}
	switch p.state {
	case stEscape, stEscInter:
		switch {
		case c < 0x30:
			p.inter = c
			p.state = stEscInter
		case p.state == stEscape && c == '[':
			t.enterCSI()
		case p.state == stEscape && c == ']':
			p.state = stOSC
			p.osc = p.osc[:0]
		case p.state == stEscape && (c == 'P' || c == 'X' || c == '^' || c == '_'):
			p.state = stString
		case c == 0x7F:
		default:
			p.state = stGround
			t.escDispatch(p.inter, c)
		}
	case stCSI:
		switch {
		case c >= '0' && c <= '9':
			v := &p.params[p.nParams]
			*v = min(*v*10+int(c-'0'), maxParam)
			p.hasParam = true
		case c == ';' || c == ':':
			if p.nParams == maxParams-1 {
				p.state = stCSIIgnore
				return
			}
			p.nParams++
			p.params[p.nParams] = 0
			if c == ':' {
				p.subMask |= 1 << p.nParams
			}
			p.hasParam = true
		case c >= '<' && c <= '?':
			if p.hasParam || p.private != 0 {
				p.state = stCSIIgnore
				return
			}
			p.private = c
		case c < 0x30:
			p.inter = c
		case c >= 0x40 && c <= 0x7E:
			p.state = stGround
			n := 0
			if p.hasParam {
				n = p.nParams + 1
			}
			t.csiDispatch(p.params[:n], c)
		}
	case stCSIIgnore:
		if c >= 0x40 && c <= 0x7E {
			p.state = stGround
		}
	}
}

// execute runs a C0 control.
func (t *Terminal) execute(c byte) {
	switch c {
	case 0x05: // ENQ: guacd answers with its name.
		t.reply("GUACAMOLE")
	case 0x07:
		if t.opts.Bell != nil {
			t.opts.Bell()
		}
	case 0x08:
		if t.cur.x > 0 {
			t.cur.x--
		}
		t.cur.wrapNext = false
	case 0x09:
		t.tab(1)
	case 0x0A, 0x0B, 0x0C:
		t.index()
		if t.lnm {
			t.cur.x = 0
		}
		t.cur.wrapNext = false
	case 0x0D:
		t.cur.x = 0
		t.cur.wrapNext = false
	case 0x0E:
		t.cur.gl = 1
	case 0x0F:
		t.cur.gl = 0
	case 0x1B:
		t.enterEscape()
	}
}

func (t *Terminal) reply(s string) {
	if t.opts.Reply != nil {
		t.opts.Reply([]byte(s))
	}
}
