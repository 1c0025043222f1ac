package tunnel

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// connection is one backend session shared by one or more users. It
// implements backends.Display: everything the backend draws is broadcast to
// the attached users and teed into the recording.
type connection struct {
	id      string
	srv     *Server
	proto   string
	backend backends.Backend
	logger  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards users, sess, closed, syncBuf
	users  map[*user]struct{}
	sess   backends.Session
	closed bool
	endErr error
	tag    string // Request.Tag of the owner
	rec    *recorder
	syncB  []byte

	ready chan struct{} // closed once Open has returned
}

var _ backends.Display = (*connection)(nil)

// Write implements backends.Display.
func (c *connection) Write(p []byte) { c.broadcast(p, nil) }

// WriteFrame implements backends.Display. Users queue the buffer itself,
// not a copy: with a big screen's frames queued for several users, one
// copy each would be megabytes per connection.
func (c *connection) WriteFrame(b []byte) []byte {
	if cap(b) <= protocol.KeepBytes {
		c.Write(b)
		return b[:0]
	}
	f := &frame{b: b}
	f.refs.Store(1)
	c.broadcast(b, f)
	f.release()
	return nil
}

// broadcast queues p for every attached user, as the shared frame f when
// f is not nil (p is then f.b), and records it.
func (c *connection) broadcast(p []byte, f *frame) {
	c.mu.Lock()
	for u := range c.users {
		u.push(p, f, true)
	}
	if c.rec != nil {
		c.rec.output(p)
	}
	c.mu.Unlock()
	c.srv.metrics.broadcastBytes.Add(float64(len(p)))
}

// EndFrame implements backends.Display.
func (c *connection) EndFrame(frames int) {
	c.mu.Lock()
	c.syncB = protocol.AppendSync(c.syncB[:0], monotonicMillis(), frames)
	for u := range c.users {
		u.push(c.syncB, nil, true)
	}
	if c.rec != nil {
		c.rec.output(c.syncB)
	}
	c.mu.Unlock()
	c.srv.metrics.frames.Inc()
}

// Lag implements backends.Display.
func (c *connection) Lag() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var worst time.Duration
	for u := range c.users {
		if l := u.Lag(); l > worst {
			worst = l
		}
	}
	return worst
}

// Logger implements backends.Display.
func (c *connection) Logger() *slog.Logger { return c.logger }

// Close implements backends.Display: the backend ended. Every user gets an
// error (or a plain disconnect) and the connection goes away.
func (c *connection) Close(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.endErr = err
	users := make([]*user, 0, len(c.users))
	for u := range c.users {
		users = append(users, u)
	}
	c.mu.Unlock()
	if err != nil {
		c.logger.Info("connection ended by backend", "err", err)
	} else {
		c.logger.Info("connection ended by backend")
	}
	for _, u := range users {
		u.Write(endMessage(nil, err))
		u.markClosed()
	}
	c.cancel()
}

// endMessage appends what a user is sent when its session ends: an error
// with the status for failures, then disconnect.
func endMessage(dst []byte, err error) []byte {
	if err != nil {
		var se *protocol.StatusError
		if errors.As(err, &se) {
			dst = protocol.AppendError(dst, se.Message, se.Status)
		} else {
			dst = protocol.AppendError(dst, "Upstream error.", protocol.StatusUpstreamError)
		}
	}
	return protocol.AppendDisconnect(dst)
}

// add registers u; it fails once the connection has ended.
func (c *connection) add(u *user) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	c.users[u] = struct{}{}
	return true
}

// remove unregisters u and reports whether it was the last user.
func (c *connection) remove(u *user) (last bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.users, u)
	return len(c.users) == 0
}

// session returns the backend session, nil until Open succeeded.
func (c *connection) session() backends.Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// rejoin resends the full state to a user whose output was coalesced.
func (c *connection) rejoin(u *user) {
	s := c.session()
	if s == nil {
		u.Attach()
		return
	}
	if err := s.Join(u); err != nil {
		c.logger.Warn("resync failed", "user", u.id, "err", err)
		u.markClosed()
		_ = u.conn.Close()
	}
}

// recordInput tees user input into the recording as guacd does.
func (c *connection) recordInput(ins protocol.Instruction) {
	c.mu.Lock()
	if c.rec != nil {
		c.rec.input(ins)
	}
	c.mu.Unlock()
}

// userCount is the number of users attached or joining.
func (c *connection) userCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.users)
}
