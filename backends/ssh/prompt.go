package ssh

import (
	"context"
	"errors"
	"unicode/utf8"
)

// errPromptAbandoned is returned when the owner leaves while asked for a
// credential.
var errPromptAbandoned = errors.New("ssh: prompt abandoned")

// prompt is a credential being typed into the terminal.
type prompt struct {
	echo   bool
	line   []byte
	result chan string
	gone   chan struct{}
}

func (p *prompt) cancel() { close(p.gone) }

// Prompt implements Prompter as guacd does: label is printed in the
// terminal and the owner's key presses are collected, echoed unless echo
// is false, until Enter.
func (s *session) Prompt(ctx context.Context, label string, echo bool) (string, error) {
	p := &prompt{echo: echo, result: make(chan string, 1), gone: make(chan struct{})}
	s.termMu.Lock()
	s.t.Write([]byte(label))
	s.prompt = p
	s.termMu.Unlock()
	s.kick()
	select {
	case v := <-p.result:
		return v, nil
	case <-p.gone:
		return "", errPromptAbandoned
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// promptInput feeds what a key press produced to the open prompt: Enter
// answers it, BackSpace (DEL or BS) erases a character, other control
// bytes are ignored. termMu must be held.
func (s *session) promptInput(b []byte) {
	p := s.prompt
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		c := b[0]
		b = b[n:]
		switch {
		case c == '\r' || c == '\n':
			s.t.Write([]byte("\r\n"))
			s.prompt = nil
			p.result <- string(p.line)
			return
		case c == 0x7F || c == 0x08:
			if len(p.line) > 0 {
				_, size := utf8.DecodeLastRune(p.line)
				p.line = p.line[:len(p.line)-size]
				if p.echo {
					s.t.Write([]byte("\b \b"))
				}
			}
		case c < 0x20:
		default:
			p.line = utf8.AppendRune(p.line, r)
			if p.echo {
				s.t.Write(utf8.AppendRune(nil, r))
			}
		}
	}
}
