package passthrough

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// session is one relayed guacd connection and its users.
type session struct {
	b       *Backend
	d       backends.Display
	addr    string
	primary *upstream // the owner's connection, broadcast through d

	ctx       context.Context // ends joiners' dials when the session closes
	cancel    context.CancelFunc
	start     chan struct{} // closed when the owner first joins
	startOnce sync.Once
	done      chan struct{} // closed by Close
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	joiners map[backends.User]*joiner
}

// joiner is a joining user's own upstream connection.
type joiner struct {
	up  *upstream
	u   backends.User
	mu  sync.Mutex
	err error // set when its upstream ended; later input returns it
}

func newSession(b *Backend, d backends.Display, addr string, up *upstream) *session {
	s := &session{
		b: b, d: d, addr: addr, primary: up,
		start:   make(chan struct{}),
		done:    make(chan struct{}),
		joiners: make(map[backends.User]*joiner),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.relayOwner()
	return s
}

// displaySink broadcasts the owner's stream.
type displaySink struct{ d backends.Display }

func (ds displaySink) write(p []byte)   { ds.d.Write(p) }
func (ds displaySink) frame(frames int) { ds.d.EndFrame(frames) }

// relayOwner broadcasts guacd's output once the owner is attached (earlier
// output would reach the recording but not the owner), and ends the
// connection for everyone when guacd ends it.
func (s *session) relayOwner() {
	defer s.wg.Done()
	select {
	case <-s.start:
	case <-s.done:
		return
	}
	err := s.primary.relay(displaySink{s.d})
	select {
	case <-s.done:
		return // we closed it
	default:
	}
	s.d.Close(endStatus(err))
}

// endStatus is what users are told when an upstream stream ends.
func endStatus(err error) error {
	var se *protocol.StatusError
	switch {
	case errors.As(err, &se):
		return se
	case errors.Is(err, errUpstreamDisconnect):
		return nil
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		return &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "guacd closed the connection.", Err: err}
	}
	var pe *protocol.ParseError
	if errors.As(err, &pe) {
		return &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "guacd sent malformed data.", Err: err}
	}
	return &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "Connection to guacd failed.", Err: err}
}

// Join implements backends.Session.
func (s *session) Join(u backends.User) error {
	if u.Owner() {
		// Nothing is written before Attach: guacd's own output is the
		// owner's initial state, and the relay only starts now.
		u.Attach()
		first := false
		s.startOnce.Do(func() { first = true; close(s.start) })
		if !first {
			// The owner's queue overflowed and was dropped. guacd cannot
			// replay state into its owner connection, so the display may
			// stay stale until the remote desktop repaints.
			s.d.Logger().Warn("owner resynchronised without a state replay; display may be stale", "user", u.ID())
		}
		return nil
	}
	// A joiner, or a joiner to resynchronise: a fresh upstream join makes
	// guacd replay the complete state.
	s.dropJoiner(u)
	up, err := s.b.dial(s.ctx, s.addr, s.primary.id, u)
	if err != nil {
		return err
	}
	j := &joiner{up: up, u: u}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = up.close()
		return &protocol.StatusError{Status: protocol.StatusResourceClosed, Message: "Connection has ended."}
	}
	s.joiners[u] = j
	s.wg.Add(1)
	s.mu.Unlock()
	go s.relayJoiner(j)
	return nil
}

// userSink writes a joiner's stream to that user only.
type userSink struct {
	b    *Backend
	u    backends.User
	sync []byte
}

func (us *userSink) write(p []byte) { us.u.Write(p) }
func (us *userSink) frame(frames int) {
	us.sync = protocol.AppendSync(us.sync[:0], us.b.millis(), frames)
	us.u.Write(us.sync)
}

// relayJoiner relays j's stream to j's user. If guacd ends it while the
// user is still there, the user is sent guacd's status and disconnect, as
// guacd would, and its next input ends its session in the core.
func (s *session) relayJoiner(j *joiner) {
	defer s.wg.Done()
	err := j.up.relay(&userSink{b: s.b, u: j.u})
	s.mu.Lock()
	current := s.joiners[j.u] == j && !s.closed
	s.mu.Unlock()
	if !current {
		return // left, resynchronised or closed: its connection was closed on purpose
	}
	end := endStatus(err)
	if end == nil {
		end = &protocol.StatusError{Status: protocol.StatusResourceClosed, Message: "Connection has ended."}
	}
	var se *protocol.StatusError
	errors.As(end, &se)
	j.mu.Lock()
	j.err = se
	j.mu.Unlock()
	j.u.Write(protocol.AppendDisconnect(protocol.AppendError(nil, se.Message, se.Status)))
}

// dropJoiner closes u's upstream connection, if any.
func (s *session) dropJoiner(u backends.User) {
	s.mu.Lock()
	j := s.joiners[u]
	delete(s.joiners, u)
	s.mu.Unlock()
	if j != nil {
		_ = j.up.close()
	}
}

// Leave implements backends.Session. The owner's connection stays open
// while joiners remain, as in guacd, and keeps feeding the recording.
func (s *session) Leave(u backends.User) {
	if !u.Owner() {
		s.dropJoiner(u)
	}
}

// Input implements backends.Session: the instruction goes, re-encoded, to
// the user's own upstream connection.
func (s *session) Input(u backends.User, ins protocol.Instruction) error {
	up := s.primary
	if !u.Owner() {
		s.mu.Lock()
		j := s.joiners[u]
		s.mu.Unlock()
		if j == nil {
			return errors.New("passthrough: input from a user with no upstream connection")
		}
		j.mu.Lock()
		err := j.err
		j.mu.Unlock()
		if err != nil {
			return err
		}
		up = j.up
	}
	return up.writeInstruction(ins)
}

// Close implements backends.Session.
func (s *session) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		joiners := s.joiners
		s.joiners = nil
		s.mu.Unlock()
		close(s.done)
		s.cancel()
		_ = s.primary.close()
		for _, j := range joiners {
			_ = j.up.close()
		}
	})
	s.wg.Wait()
	return nil
}
