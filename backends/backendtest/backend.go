// Package backendtest provides a scripted in-process backend for tests and
// benchmarks of the tunnel core and transports. It draws a solid screen whose
// colour comes from the "color" parameter, records every input it receives,
// draws a small square for each key press, and with "fps" set draws frames
// continuously.
package backendtest

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// Input is one instruction a Backend received, copied.
type Input struct {
	User   string
	Opcode string
	Args   []string
}

// Backend is a backends.Backend for tests.
type Backend struct {
	// ArgNames is what Args returns; nil means DefaultArgs.
	ArgNames []string
	// OpenErr, when set, is returned by Open.
	OpenErr error
	// Inputs receives every input instruction (buffered; drops when full).
	Inputs chan Input

	mu       sync.Mutex
	sessions []*Session
}

// DefaultArgs are the parameters the test backend understands.
var DefaultArgs = []string{"hostname", "port", "color", "fps", "width", "height", "read-only",
	"recording-path", "recording-name", "create-recording-path", "recording-exclude-output",
	"recording-exclude-mouse", "recording-include-keys", "recording-write-existing"}

// New returns a Backend with a buffered Inputs channel.
func New() *Backend { return &Backend{Inputs: make(chan Input, 1024)} }

// Args implements backends.Backend.
func (b *Backend) Args() []string {
	if b.ArgNames != nil {
		return b.ArgNames
	}
	return DefaultArgs
}

// Sessions returns the sessions opened so far.
func (b *Backend) Sessions() []*Session {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*Session(nil), b.sessions...)
}

// Open implements backends.Backend.
func (b *Backend) Open(ctx context.Context, owner backends.User, d backends.Display) (backends.Session, error) {
	if b.OpenErr != nil {
		return nil, b.OpenErr
	}
	p := owner.Params()
	s := &Session{
		b:      b,
		d:      d,
		params: p,
		w:      p.Int("width", 64),
		h:      p.Int("height", 48),
		color:  parseColor(p.String("color", "ff0000")),
		done:   make(chan struct{}),
	}
	if fps := p.Int("fps", 0); fps > 0 {
		s.wg.Add(1)
		go s.animate(time.Second / time.Duration(fps))
	}
	b.mu.Lock()
	b.sessions = append(b.sessions, s)
	b.mu.Unlock()
	return s, nil
}

// Session is one test connection.
type Session struct {
	b      *Backend
	params backends.Params
	d      backends.Display
	mu     sync.Mutex // serialises drawing and joins (see backends.User.Attach)
	w, h   int
	color  [3]uint8
	keys   int
	frame  int
	buf    []byte
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// Frames reports how many animation frames were drawn.
func (s *Session) Frames() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frame
}

// Params returns the owner's parameters the session was opened with.
func (s *Session) Params() backends.Params { return s.params }

// Display returns the display the session draws on.
func (s *Session) Display() backends.Display { return s.d }

func (s *Session) appendState(dst []byte) []byte {
	dst = protocol.AppendSize(dst, 0, s.w, s.h)
	dst = protocol.AppendRect(dst, 0, 0, 0, s.w, s.h)
	dst = protocol.AppendCfill(dst, protocol.ModeOver, 0, s.color[0], s.color[1], s.color[2], 255)
	return dst
}

// Join implements backends.Session.
func (s *Session) Join(u backends.User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := s.appendState(nil)
	buf = protocol.AppendSync(buf, 0, 1)
	u.Write(buf)
	u.Attach()
	return nil
}

// Leave implements backends.Session.
func (s *Session) Leave(u backends.User) {}

// Input implements backends.Session.
func (s *Session) Input(u backends.User, ins protocol.Instruction) error {
	in := Input{User: u.ID(), Opcode: string(ins.Opcode)}
	for _, a := range ins.Args {
		in.Args = append(in.Args, string(a))
	}
	select {
	case s.b.Inputs <- in:
	default:
	}
	if ins.Is("key") && len(ins.Args) >= 2 && string(ins.Args[1]) == "1" {
		s.mu.Lock()
		x := (s.keys * 8) % max(s.w, 8)
		s.keys++
		s.buf = protocol.AppendRect(s.buf[:0], 0, x, 0, 8, 8)
		s.buf = protocol.AppendCfill(s.buf, protocol.ModeOver, 0, 255, 255, 255, 255)
		s.d.Write(s.buf)
		s.d.EndFrame(1)
		s.mu.Unlock()
	}
	if ins.Is("disconnect-backend") {
		s.d.Close(&protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "Backend went away."})
	}
	return nil
}

// animate draws a frame every period until the session closes.
func (s *Session) animate(period time.Duration) {
	defer s.wg.Done()
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
		}
		s.mu.Lock()
		s.frame++
		c := uint8(s.frame)
		s.buf = protocol.AppendRect(s.buf[:0], 0, 0, 0, s.w, s.h)
		s.buf = protocol.AppendCfill(s.buf, protocol.ModeOver, 0, c, c, c, 255)
		s.d.Write(s.buf)
		s.d.EndFrame(1)
		s.mu.Unlock()
	}
}

// Close implements backends.Session.
func (s *Session) Close() error {
	s.once.Do(func() { close(s.done) })
	s.wg.Wait()
	return nil
}

func parseColor(hex string) [3]uint8 {
	v, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || len(hex) != 6 {
		return [3]uint8{255, 0, 0}
	}
	return [3]uint8{uint8(v >> 16), uint8(v >> 8), uint8(v)}
}

// String describes an input for test failure messages.
func (in Input) String() string { return fmt.Sprintf("%s %s%v", in.User, in.Opcode, in.Args) }
