package ws

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/goguacd/goguacd/protocol"
)

const (
	// subprotocol is what Guacamole.WebSocketTunnel asks for; browsers fail
	// the handshake unless it is echoed.
	subprotocol = "guacamole"
	// maxInbound bounds one browser message. The browser sends one
	// instruction per message, and its blobs stay under 8 KiB.
	maxInbound = protocol.DefaultMaxInstructionSize
	// writeTimeout bounds one message write to a stuck browser.
	writeTimeout = 30 * time.Second
	// closeGrace is how long the reader waits for the browser's answer to
	// our close frame.
	closeGrace = 2 * time.Second
)

// upgrader echoes the guacamole subprotocol. Origins are checked before the
// upgrade, together with authentication. The write buffer holds a whole
// coalesced message, so gorilla sends it with one write instead of a writev
// that allocates; a WriteBufferPool would save that memory on idle tunnels
// but box a value (one allocation) per message. The read side reuses
// net/http's hijacked 4 KiB buffer.
var upgrader = websocket.Upgrader{
	Subprotocols:    []string{subprotocol},
	CheckOrigin:     func(*http.Request) bool { return true },
	WriteBufferSize: MaxMessage,
}

// serveWebSocket runs one browser session over a WebSocket.
func (h *Handler) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	if !websocket.IsWebSocketUpgrade(r) {
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "WebSocket upgrade expected.", nil})
		return
	}
	if !h.checkOrigin(r) {
		h.refuse(w, r, &httpError{http.StatusForbidden, protocol.StatusClientForbidden, "Origin not allowed.", nil})
		return
	}
	if !slices.Contains(websocket.Subprotocols(r), subprotocol) {
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, `The "guacamole" subprotocol is required.`, nil})
		return
	}
	p, cd, err := h.authorize(r.Context(), r, r.URL.Query(), r.RemoteAddr)
	if err != nil {
		h.refuse(w, r, refusal(err))
		return
	}
	defer p.release()
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		h.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c.SetReadLimit(maxInbound)
	conn := newWSConn(c, cd.utf16, r.RemoteAddr)
	defer conn.finish()

	// The tunnel UUID first: it opens and commits the browser's tunnel
	// before the backend is even contacted.
	if err := conn.Write(protocol.AppendInstruction(nil, "", newUUID())); err != nil {
		return
	}
	var connID string
	p.req.Ready = func(id string) {
		connID = id
		// The stock client ignores ready; goguacd's page reads the
		// connection id from it to offer share links.
		_ = conn.Write(protocol.AppendReady(nil, id))
	}
	err = h.cfg.Server.Serve(h.ctx, conn, p.req)
	h.log.Debug("websocket session ended", "remote", r.RemoteAddr, "connection", connID, "err", err)
}

// refuse answers a request that gets no tunnel, in plain text, with the
// headers Guacamole.HTTPTunnel reads.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, e *httpError) {
	h.log.Info("tunnel refused", "remote", r.RemoteAddr, "path", r.URL.Path, "status", e.status, "err", e)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("Guacamole-Status-Code", strconv.Itoa(int(e.guac)))
	hdr.Set("Guacamole-Error-Message", e.message)
	w.WriteHeader(e.status)
	_, _ = io.WriteString(w, e.message+"\n")
}

// newUUID returns a random version 4 UUID for a tunnel.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// inbufs holds buffers for browser messages while they are parsed.
var inbufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// wsConn adapts a WebSocket to tunnel.Conn. Reads go through one reused
// buffer and a pooled parser, which are released between messages.
type wsConn struct {
	c      *websocket.Conn
	utf16  bool
	remote string

	// Reader goroutine only.
	msg  *[]byte          // current message, from inbufs
	data []byte           // unparsed part of the message
	p    *protocol.Parser // from parsers while msg is held
	rc   []byte           // re-counted message (UTF-16 clients)
	echo []byte

	// Writers (the core's writer, ping echoes, Ready) under wmu.
	wmu sync.Mutex
	wc  []byte // re-counted output (UTF-16 clients)
	end endState

	closeStatus atomic.Int32 // status of the last error sent, or -1
	closing     atomic.Bool
	closeOnce   sync.Once
}

func newWSConn(c *websocket.Conn, utf16 bool, remote string) *wsConn {
	w := &wsConn{c: c, utf16: utf16, remote: remote}
	w.closeStatus.Store(-1)
	return w
}

// ReadInstruction implements tunnel.Conn. Internal (empty-opcode)
// instructions are handled here and never returned: pings are echoed.
func (w *wsConn) ReadInstruction() (protocol.Instruction, error) {
	for {
		if len(w.data) > 0 {
			ins, n, err := w.p.Next(w.data)
			if err != nil {
				if errors.Is(err, protocol.ErrIncomplete) {
					// Messages hold whole instructions (guacamole-common-js
					// sends one per message, and its older parsers need it).
					err = &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Incomplete instruction."}
				}
				w.data = nil
				return protocol.Instruction{}, err
			}
			w.data = w.data[n:]
			if len(ins.Opcode) == 0 {
				if err := w.internal(ins); err != nil {
					return protocol.Instruction{}, err
				}
				continue
			}
			return ins, nil
		}
		w.release()
		if w.closing.Load() {
			return protocol.Instruction{}, io.EOF
		}
		if err := w.next(); err != nil {
			return protocol.Instruction{}, err
		}
	}
}

// next reads one browser message into a pooled buffer.
func (w *wsConn) next() error {
	typ, r, err := w.c.NextReader()
	if err != nil {
		return w.readErr(err)
	}
	if typ != websocket.TextMessage {
		return &protocol.StatusError{Status: protocol.StatusClientBadType, Message: "Binary messages are not supported."}
	}
	w.msg = inbufs.Get().(*[]byte)
	buf := (*w.msg)[:0]
	for {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, cap(buf))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			*w.msg = buf
			return w.readErr(err)
		}
	}
	*w.msg = buf
	w.data = buf
	if w.utf16 && hasAstral(buf) {
		w.rc, err = recount(w.rc[:0], buf, false)
		if err != nil {
			return &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Malformed instruction.", Err: err}
		}
		w.data = w.rc
	}
	w.p = parsers.Get().(*protocol.Parser)
	w.p.Reset()
	return nil
}

// release returns the message buffer and parser once a message is used up.
func (w *wsConn) release() {
	if w.p != nil {
		parsers.Put(w.p)
		w.p = nil
	}
	if w.msg != nil {
		if cap(*w.msg) <= 64<<10 {
			inbufs.Put(w.msg)
		}
		w.msg = nil
	}
	if cap(w.rc) > 64<<10 {
		w.rc = nil
	}
	w.data = nil
}

// readErr maps WebSocket read errors to what the core expects: io.EOF for a
// peer that went away, os.ErrDeadlineExceeded for a silent one.
func (w *wsConn) readErr(err error) error {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed), w.closing.Load():
		return io.EOF
	case errors.As(err, &ne) && ne.Timeout():
		// gorilla hides the deadline error's identity; restore it.
		return fmt.Errorf("ws: read: %w", os.ErrDeadlineExceeded)
	case errors.Is(err, websocket.ErrReadLimit):
		return &protocol.StatusError{Status: protocol.StatusClientOverrun, Message: "Message too large.", Err: err}
	}
	return fmt.Errorf("ws: read: %w", err)
}

// internal handles an instruction with the empty opcode: a ping is answered
// with the identical instruction, anything else is dropped.
func (w *wsConn) internal(ins protocol.Instruction) error {
	if len(ins.Args) < 2 || string(ins.Args[0]) != "ping" {
		return nil
	}
	w.echo = protocol.AppendInstructionBytes(w.echo[:0], protocol.Instruction{Opcode: ins.Opcode, Args: ins.Args[:2]})
	return w.Write(w.echo)
}

// Write implements tunnel.Conn: p holds whole instructions, sent as text
// messages of whole instructions, coalesced up to MaxMessage bytes. Every
// call flushes, since the core hands over everything queued at once.
func (w *wsConn) Write(p []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	pr := parsers.Get().(*protocol.Parser)
	defer parsers.Put(pr)
	pr.Reset()
	start, off := 0, 0
	for off < len(p) {
		ins, n, err := pr.Next(p[off:])
		if err != nil {
			return fmt.Errorf("ws: outgoing data: %w", err)
		}
		w.end.note(ins)
		if off+n-start > MaxMessage && off > start {
			if err := w.send(p[start:off]); err != nil {
				return err
			}
			start = off
		}
		off += n
	}
	if w.end.seen {
		w.closeStatus.Store(int32(w.end.status))
	}
	if start < len(p) {
		return w.send(p[start:])
	}
	return nil
}

// send writes one message. For UTF-16 clients, lengths are re-counted here,
// after the boundaries were found in code points; a message may then exceed
// MaxMessage by the few extra length digits.
func (w *wsConn) send(b []byte) error {
	if w.utf16 && hasAstral(b) {
		var err error
		if w.wc, err = recount(w.wc[:0], b, true); err != nil {
			return err
		}
		b = w.wc
		defer func() {
			if cap(w.wc) > 64<<10 {
				w.wc = nil
			}
		}()
	}
	_ = w.c.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := w.c.WriteMessage(websocket.TextMessage, b); err != nil {
		return fmt.Errorf("ws: write: %w", err)
	}
	return nil
}

// SetReadDeadline implements tunnel.Conn. Once closing, the short deadline
// set by Close stays.
func (w *wsConn) SetReadDeadline(t time.Time) error {
	if w.closing.Load() {
		return nil
	}
	return w.c.SetReadDeadline(t)
}

// Close implements tunnel.Conn: it sends the close frame with the status of
// the last error sent (guacamole-client's code table, decimal status as the
// reason) and gives the browser closeGrace to answer. finish closes the
// socket.
func (w *wsConn) Close() error {
	w.closeOnce.Do(func() {
		w.closing.Store(true)
		st := protocol.StatusSuccess
		if s := w.closeStatus.Load(); s >= 0 {
			st = protocol.Status(s)
		}
		msg := websocket.FormatCloseMessage(st.WebSocketCode(), strconv.Itoa(int(st)))
		_ = w.c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = w.c.SetReadDeadline(time.Now().Add(closeGrace))
	})
	return nil
}

// finish closes the socket after the session returned.
func (w *wsConn) finish() {
	_ = w.Close()
	_ = w.c.Close()
	w.release()
}

// RemoteAddr implements tunnel.Conn.
func (w *wsConn) RemoteAddr() string { return w.remote }
