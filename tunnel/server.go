// Package tunnel is goguacd's engine: the guacd handshake, connections shared
// by users, one reader and one writer per user, recording, and draining.
//
// Transports (the guacd TCP listener here, WebSocket and HTTP tunnels
// elsewhere) adapt to Conn and call ServeGuacd (they speak guacd's handshake)
// or Serve (the handshake was done on their side, e.g. from a catalog).
package tunnel

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// Config holds the engine's settings. The zero value is usable.
type Config struct {
	Backends *backends.Registry
	Logger   *slog.Logger
	Metrics  *Metrics

	HandshakeTimeout time.Duration // per handshake read; default 15 s as guacd
	IdleTimeout      time.Duration // client silence in session; default 15 s as guacd
	KeepAlive        time.Duration // nop after this much server silence; default 5 s
	UserQueueLimit   int           // bytes queued per user before coalescing; default 8 MiB
	MaxInstruction   int           // bytes; default protocol.DefaultMaxInstructionSize
	// Cluster, when set, makes connection ids name this replica and
	// forwards joins of other replicas' connections to them.
	Cluster *Cluster
}

// Server runs connections. Create with NewServer.
type Server struct {
	cfg     Config
	logger  *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	conns    map[string]*connection
	sessions map[Conn]struct{} // every live transport, for draining
	draining bool
	wg       sync.WaitGroup
}

// NewServer returns a Server with defaults filled in.
func NewServer(cfg Config) *Server {
	if cfg.Backends == nil {
		cfg.Backends = &backends.Registry{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics(nil)
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = 15 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 15 * time.Second
	}
	if cfg.KeepAlive <= 0 {
		cfg.KeepAlive = 5 * time.Second
	}
	if cfg.UserQueueLimit <= 0 {
		cfg.UserQueueLimit = 8 << 20
	}
	if cfg.MaxInstruction <= 0 {
		cfg.MaxInstruction = protocol.DefaultMaxInstructionSize
	}
	return &Server{
		cfg:      cfg,
		logger:   cfg.Logger,
		metrics:  cfg.Metrics,
		conns:    make(map[string]*connection),
		sessions: make(map[Conn]struct{}),
	}
}

// Backends returns the registry the server uses.
func (s *Server) Backends() *backends.Registry { return s.cfg.Backends }

// Request says what a user wants once the handshake is done.
type Request struct {
	// Protocol names the backend for a new connection; JoinID ("$…") joins
	// an existing one instead.
	Protocol string
	JoinID   string
	Params   backends.Params
	Info     backends.ClientInfo
	Username string // for logs and recording names; may be empty
	// Ready, when set, is called with the connection ID instead of sending
	// `ready` (transports that announce the ID themselves).
	Ready func(id string)
	// Tag is an opaque label kept with a new connection (the web layer's
	// catalog connection id), readable by any replica through
	// ConnectionTag to authorise joins.
	Tag string
}

// ErrDraining is returned for new sessions while the server shuts down.
var ErrDraining = &protocol.StatusError{Status: protocol.StatusServerBusy, Message: "Server is shutting down."}

// newID returns prefix + a random lower-case UUID, like guacd's ids.
func newID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatID(prefix, &b)
}

func formatID(prefix string, b *[16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%s%x-%x-%x-%x-%x", prefix, b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// newConnID returns a connection id; in a cluster it names this replica
// so that any replica can forward a join to it.
func (s *Server) newConnID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	if s.cfg.Cluster != nil {
		embedOwner(&b, s.cfg.Cluster.Self)
	}
	return formatID("$", &b)
}

// track registers a live transport so Shutdown can reach it.
func (s *Server) track(c Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.draining {
		return false
	}
	s.sessions[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) untrack(c Conn) {
	s.mu.Lock()
	delete(s.sessions, c)
	s.mu.Unlock()
	s.wg.Done()
}

// fail sends an error and disconnect to a client that never got a session,
// logs why, and closes the transport.
func (s *Server) fail(c Conn, reason string, err error) {
	var se *protocol.StatusError
	if !errors.As(err, &se) {
		se = &protocol.StatusError{Status: protocol.StatusServerError, Message: "Internal error.", Err: err}
	}
	s.metrics.handshakeFailures.WithLabelValues(reason).Inc()
	s.logger.Info("connection refused", "remote", c.RemoteAddr(), "reason", reason, "status", int(se.Status), "err", err)
	if w, ok := c.(interface{ SetWriteDeadline(time.Time) error }); ok {
		_ = w.SetWriteDeadline(time.Now().Add(5 * time.Second))
	}
	_ = c.Write(endMessage(nil, se))
	_ = c.Close()
}

// Serve runs one user's session on c after its handshake: it creates or
// joins the connection, sends ready, and relays until the user leaves. It
// closes c before returning.
func (s *Server) Serve(ctx context.Context, c Conn, req Request) error {
	if !s.track(c) {
		s.fail(c, "draining", ErrDraining)
		return ErrDraining
	}
	defer s.untrack(c)
	return s.serve(ctx, c, req)
}

func (s *Server) serve(ctx context.Context, c Conn, req Request) error {
	var conn *connection
	owner := false
	if req.JoinID != "" {
		s.mu.Lock()
		conn = s.conns[req.JoinID]
		s.mu.Unlock()
		if conn == nil && s.cfg.Cluster != nil {
			if owner, ok := s.cfg.Cluster.forwardTarget(req.JoinID); ok {
				return s.relayJoin(ctx, c, req, owner)
			}
		}
		if conn == nil {
			err := &protocol.StatusError{Status: protocol.StatusResourceNotFound, Message: "No such connection."}
			s.fail(c, "unknown_connection", err)
			return err
		}
	} else {
		b, ok := s.cfg.Backends.Lookup(req.Protocol)
		if !ok {
			err := &protocol.StatusError{Status: protocol.StatusUnsupported, Message: fmt.Sprintf("Protocol %q is not supported.", req.Protocol)}
			s.fail(c, "unknown_protocol", err)
			return err
		}
		owner = true
		conn = s.newConnection(req.Protocol, b)
		conn.tag = req.Tag
	}

	u := &user{
		id:       newID("@"),
		conn:     c,
		c:        conn,
		owner:    owner,
		readOnly: req.Params["read-only"] == "true",
		info:     req.Info,
		params:   req.Params,
		username: req.Username,
		wake:     make(chan struct{}, 1),
		limit:    s.cfg.UserQueueLimit,
		done:     make(chan struct{}),
	}
	if u.params == nil {
		u.params = backends.Params{}
	}
	if !conn.add(u) {
		err := &protocol.StatusError{Status: protocol.StatusResourceClosed, Message: "Connection has ended."}
		s.fail(c, "connection_closed", err)
		return err
	}
	log := conn.logger.With("user", u.id, "remote", c.RemoteAddr(), "username", req.Username)
	s.metrics.users.Inc()
	defer s.metrics.users.Dec()

	u.lastWrite.Store(monotonicMillis())
	go u.writeLoop(s.cfg.KeepAlive)
	if req.Ready != nil {
		req.Ready(conn.id)
	} else {
		u.Write(protocol.AppendReady(nil, conn.id))
	}
	log.Info("user joined", "owner", owner, "read_only", u.readOnly, "protocol", conn.proto)

	var err error
	if owner {
		err = conn.open(u)
	} else {
		err = conn.join(u)
	}
	if err == nil {
		err = s.readLoop(ctx, u)
	}

	// Leaving: tell the backend, end the writer, close the transport.
	if sess := conn.session(); sess != nil {
		sess.Leave(u)
	}
	last := conn.remove(u)
	if err != nil && !isClosedErr(err) {
		u.Write(endMessage(nil, err))
	} else if !conn.isClosed() {
		u.Write(protocol.AppendDisconnect(nil))
	}
	u.markClosed()
	select {
	case <-u.done:
	case <-time.After(5 * time.Second):
	}
	_ = c.Close()
	<-u.done
	if last {
		conn.shutdown()
	}
	log.Info("user left", "err", err)
	if isClosedErr(err) {
		return nil
	}
	return err
}

// isClosedErr reports errors that mean the user simply went away.
func isClosedErr(err error) bool {
	return err == nil || errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed)
}

// newConnection registers a new connection under a fresh id.
func (s *Server) newConnection(proto string, b backends.Backend) *connection {
	ctx, cancel := context.WithCancel(context.Background())
	c := &connection{
		id:      s.newConnID(),
		srv:     s,
		proto:   proto,
		backend: b,
		ctx:     ctx,
		cancel:  cancel,
		users:   make(map[*user]struct{}),
		ready:   make(chan struct{}),
	}
	c.logger = s.logger.With("connection", c.id)
	s.mu.Lock()
	s.conns[c.id] = c
	s.mu.Unlock()
	s.metrics.connections.Inc()
	return c
}

// open starts the backend for the owner, then joins the owner.
func (c *connection) open(u *user) error {
	rec, err := openRecording(u.params, u.username, c.logger)
	if err != nil {
		close(c.ready)
		return &protocol.StatusError{Status: protocol.StatusServerError, Message: "Recording could not be started.", Err: err}
	}
	c.mu.Lock()
	c.rec = rec
	c.mu.Unlock()
	sess, err := c.backend.Open(c.ctx, u, c)
	if err != nil {
		close(c.ready)
		c.logger.Warn("backend failed to open", "protocol", c.proto, "err", err)
		var se *protocol.StatusError
		if !errors.As(err, &se) {
			err = &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "Could not connect to the remote desktop.", Err: err}
		}
		return err
	}
	c.mu.Lock()
	c.sess = sess
	closed := c.closed
	c.mu.Unlock()
	close(c.ready)
	if closed {
		return c.endErr
	}
	return c.join(u)
}

// join waits for the backend and sends u the current state.
func (c *connection) join(u *user) error {
	select {
	case <-c.ready:
	case <-c.ctx.Done():
		return &protocol.StatusError{Status: protocol.StatusResourceClosed, Message: "Connection has ended."}
	}
	sess := c.session()
	if sess == nil {
		return &protocol.StatusError{Status: protocol.StatusResourceClosed, Message: "Connection has ended."}
	}
	if err := sess.Join(u); err != nil {
		return err
	}
	if !u.owner {
		c.notifyOwner(u, 1)
	}
	return nil
}

// notifyOwner sends the owner guacd's join/leave msg (protocol ≥ 1.5.0).
func (c *connection) notifyOwner(u *user, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for o := range c.users {
		if o.owner && o.info.Version >= protocol.Version150 {
			o.Write(protocol.AppendMsg(nil, code, u.id, u.info.Name))
		}
	}
}

func (c *connection) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// shutdown ends the connection after its last user left.
func (c *connection) shutdown() {
	c.mu.Lock()
	c.closed = true
	sess := c.sess
	rec := c.rec
	c.rec = nil
	c.mu.Unlock()
	c.cancel()
	if sess != nil {
		if err := sess.Close(); err != nil {
			c.logger.Debug("backend close", "err", err)
		}
	}
	if rec != nil {
		rec.close()
	}
	c.srv.mu.Lock()
	delete(c.srv.conns, c.id)
	c.srv.mu.Unlock()
	c.srv.metrics.connections.Dec()
	c.logger.Info("connection closed")
}

// readLoop is the user's only reader: it applies the idle timeout, answers
// sync acknowledgements and hands input to the backend.
func (s *Server) readLoop(ctx context.Context, u *user) error {
	conn := u.c
	sess := conn.session()
	var ack []byte
	for {
		if err := u.conn.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout)); err != nil {
			return err
		}
		ins, err := u.conn.ReadInstruction()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return &protocol.StatusError{Status: protocol.StatusClientTimeout, Message: "User timed out.", Err: err}
			}
			if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isConnReset(err) {
				return nil
			}
			var pe *protocol.ParseError
			if errors.As(err, &pe) {
				return &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Malformed instruction.", Err: err}
			}
			return err
		}
		s.metrics.instructionsIn.Inc()
		s.metrics.bytesIn.Add(float64(wireLen(ins)))
		if ctx.Err() != nil {
			return nil
		}
		switch {
		case ins.Is("sync"):
			ts, ok := parseInt(ins.Arg(0))
			if !ok || !u.lag.ack(ts) {
				return &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Invalid sync timestamp."}
			}
			s.metrics.observeLag(u.Lag())
			continue
		case ins.Is("nop"), len(ins.Opcode) == 0:
			continue
		case ins.Is("disconnect"):
			return nil
		}
		if u.readOnly && !readOnlyAllowed(ins) {
			if ack = refuseReadOnly(ack[:0], ins); len(ack) > 0 {
				u.Write(ack)
			}
			continue
		}
		if ins.Is("mouse") || ins.Is("key") {
			conn.recordInput(ins)
		}
		if err := sess.Input(u, ins); err != nil {
			var se *protocol.StatusError
			if errors.As(err, &se) {
				return err
			}
			conn.logger.Debug("input rejected", "user", u.id, "opcode", string(ins.Opcode), "err", err)
		}
	}
}

// readOnlyAllowed lists what a read-only user may still send: stream
// acknowledgements and downloads, nothing that changes the remote.
func readOnlyAllowed(ins protocol.Instruction) bool {
	return ins.Is("ack") || ins.Is("get")
}

// refuseReadOnly answers stream-opening instructions of a read-only user so
// its client does not wait forever, as guacd does without a handler.
func refuseReadOnly(dst []byte, ins protocol.Instruction) []byte {
	switch {
	case ins.Is("clipboard"), ins.Is("file"), ins.Is("pipe"), ins.Is("argv"), ins.Is("put"):
		arg := 0
		if ins.Is("put") {
			arg = 1
		}
		if stream, ok := parseInt(ins.Arg(arg)); ok {
			dst = protocol.AppendAck(dst, int(stream), "Read-only connection.", protocol.StatusClientForbidden)
		}
	}
	return dst
}

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	neg := false
	for i, c := range b {
		if i == 0 && c == '-' {
			neg = true
			continue
		}
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func isConnReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Connections returns the number of live connections.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Shutdown stops new sessions, tells every user the server is going away,
// and waits for sessions to end until ctx is done; then it closes the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	conns := make([]*connection, 0, len(s.conns))
	for _, c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close(&protocol.StatusError{Status: protocol.StatusServerBusy, Message: "Server is shutting down."})
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.mu.Lock()
	for c := range s.sessions {
		_ = c.Close()
	}
	s.mu.Unlock()
	<-done
	return ctx.Err()
}

// Draining reports whether Shutdown has begun.
func (s *Server) Draining() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.draining
}
