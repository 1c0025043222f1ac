package ssh

import (
	"fmt"
	"strconv"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/ssh/term"
	"github.com/goguacd/goguacd/protocol"
)

// Pointer behaviour, as guacd's terminal.
const (
	multiClick = 300 * time.Millisecond // double and triple click window
	wheelRows  = 3                      // GUAC_TERMINAL_WHEEL_SCROLL_AMOUNT
	maxDisplay = 8192
)

// pointerState is what local mouse handling (selection, wheel, paste)
// remembers between events.
type pointerState struct {
	mask      int
	lastClick time.Time
	clicks    int
	clickCol  int
	clickRow  int
	selecting bool // the left button went down and may drag a selection
	started   bool // a selection exists for this press
}

// Input implements backends.Session.
func (s *session) Input(u backends.User, ins protocol.Instruction) error {
	switch {
	case ins.Is("key"):
		if len(ins.Args) < 2 {
			return errArgs(ins)
		}
		return s.key(u, uint32(atoi(ins.Args[0])), string(ins.Args[1]) == "1")
	case ins.Is("mouse"):
		if len(ins.Args) < 3 {
			return errArgs(ins)
		}
		s.mouse(atoi(ins.Args[0]), atoi(ins.Args[1]), atoi(ins.Args[2]))
	case ins.Is("size"):
		if len(ins.Args) < 2 {
			return errArgs(ins)
		}
		s.resize(atoi(ins.Args[0]), atoi(ins.Args[1]))
	case ins.Is("clipboard"), ins.Is("pipe"), ins.Is("argv"):
		return s.openStream(u, ins)
	case ins.Is("file"), ins.Is("put"):
		return s.xfer.Upload(u, ins)
	case ins.Is("blob"), ins.Is("end"):
		return s.streamData(u, ins)
	case ins.Is("ack"):
		_, err := s.xfer.Ack(u, ins)
		return err
	case ins.Is("get"):
		return s.xfer.Get(u, ins)
	}
	return nil
}

// key handles a key event: the owner's answer to a credential prompt, or
// bytes for the remote side; guacd's paste shortcuts paste the buffer.
func (s *session) key(u backends.User, keysym uint32, pressed bool) error {
	s.termMu.Lock()
	out, paste := s.t.KeyEvent(keysym, pressed)
	if paste && !s.set.noPaste {
		out = term.Paste(s.paste, s.t.Modes())
	}
	if s.prompt != nil {
		if u.Owner() {
			s.promptInput(out)
		}
		out = nil
	}
	s.termMu.Unlock()
	s.stdin.write(out, false)
	s.kick() // a key may scroll the view back to the live screen
	return nil
}

// cellAt maps a pointer position to a cell, clamped to the grid. termMu
// must be held.
func (s *session) cellAt(x, y int) (col, row int) {
	col = min(max((x-s.margin)/s.cw, 0), s.t.Cols()-1)
	row = min(max((y-s.margin)/s.ch, 0), s.t.Rows()-1)
	if x < s.margin {
		col = 0
	}
	if y < s.margin {
		row = 0
	}
	return col, row
}

// mouse reports the event to a program that asked for the mouse, or
// handles it locally: left drag selects (double click a word, triple a
// line, Alt a block, Shift extends), the wheel scrolls the history, and
// releasing the right or middle button pastes.
func (s *session) mouse(x, y, mask int) {
	s.termMu.Lock()
	col, row := s.cellAt(x, y)
	if rep := s.t.MouseReport(col, row, mask); rep != nil {
		s.ptr.mask = mask
		s.termMu.Unlock()
		s.stdin.write(rep, false)
		return
	}
	p := &s.ptr
	pressed, released := mask&^p.mask, p.mask&^mask
	p.mask = mask
	var out []byte
	var copied string
	var didCopy bool
	mods := s.t.HeldMods()
	if pressed&term.GuacMouseLeft != 0 {
		now := time.Now()
		if now.Sub(p.lastClick) < multiClick && col == p.clickCol && row == p.clickRow {
			p.clicks = p.clicks%3 + 1
		} else {
			p.clicks = 1
		}
		p.lastClick, p.clickCol, p.clickRow = now, col, row
		p.selecting, p.started = true, false
		switch {
		case p.clicks == 2:
			s.t.SelectStart(col, row, term.SelectWord)
			p.started = true
		case p.clicks == 3:
			s.t.SelectStart(col, row, term.SelectLine)
			p.started = true
		case mods&term.ModShift != 0:
			s.t.SelectExtend(col, row)
			p.started = true
		default:
			s.t.ClearSelection()
		}
	} else if mask&term.GuacMouseLeft != 0 && p.selecting && (col != p.clickCol || row != p.clickRow || p.started) {
		if !p.started {
			mode := term.SelectChar
			if mods&term.ModAlt != 0 {
				mode = term.SelectBlock
			}
			s.t.SelectStart(p.clickCol, p.clickRow, mode)
			p.started = true
		}
		s.t.SelectExtend(col, row)
	}
	if released&term.GuacMouseLeft != 0 && p.selecting {
		p.selecting = false
		if p.started {
			copied, didCopy = s.t.SelectionText(), true
			s.paste = copied // guacd's terminal clipboard holds the selection
		}
	}
	if pressed&term.GuacMouseScrollUp != 0 {
		s.t.ScrollView(wheelRows)
	}
	if pressed&term.GuacMouseScrollDown != 0 {
		s.t.ScrollView(-wheelRows)
	}
	if released&(term.GuacMouseRight|term.GuacMouseMiddle) != 0 && !s.set.noPaste && s.prompt == nil {
		out = term.Paste(s.paste, s.t.Modes())
	}
	s.termMu.Unlock()
	s.stdin.write(out, false)
	if didCopy && !s.set.disableCopy {
		s.engMu.Lock()
		s.copied = copied
		s.d.Write(appendClipboard(nil, copied))
		s.engMu.Unlock()
	}
	s.kick()
}

// resize fits the terminal to a w×h pixel display and tells the server.
func (s *session) resize(w, h int) {
	if w <= 0 || h <= 0 {
		return
	}
	w, h = min(w, maxDisplay), min(h, maxDisplay)
	s.engMu.Lock()
	cols, rows := s.rend.GridSize(w, h)
	s.termMu.Lock()
	s.dispW, s.dispH = w, h
	s.t.Resize(cols, rows)
	pty := s.pty
	s.termMu.Unlock()
	s.engMu.Unlock()
	if pty != nil {
		if err := pty.WindowChange(rows, cols); err != nil {
			s.log.Debug("window-change failed", "err", err)
		}
	}
	s.kick()
}

func atoi(b []byte) int {
	n, _ := strconv.Atoi(string(b))
	return n
}

func errArgs(ins protocol.Instruction) error {
	return fmt.Errorf("ssh: %q: too few arguments (%d)", ins.Opcode, len(ins.Args))
}
