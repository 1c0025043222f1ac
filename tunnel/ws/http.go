package ws

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

const (
	// tokenHeader carries the per-tunnel secret of the HTTP tunnel.
	tokenHeader = "Guacamole-Tunnel-Token"
	// endOfResponse ends every read response (opcode "", no arguments).
	endOfResponse = "0.;"
	// maxConnectBody bounds the connect data of ?connect.
	maxConnectBody = 64 << 10
	// maxWriteBody bounds one ?write: request.
	maxWriteBody = 1 << 20
	// maxOutput is how much output an HTTP tunnel buffers for the browser
	// before the core's writer blocks.
	maxOutput = 4 << 20
)

// httpTunnels indexes live HTTP tunnels by their token.
type httpTunnels struct {
	mu sync.Mutex
	m  map[string]*httpConn
}

func (t *httpTunnels) get(token string) *httpConn {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[token]
}

func (t *httpTunnels) put(c *httpConn) {
	t.mu.Lock()
	t.m[c.token] = c
	t.mu.Unlock()
}

func (t *httpTunnels) remove(c *httpConn) {
	t.mu.Lock()
	if t.m[c.token] == c {
		delete(t.m, c.token)
	}
	t.mu.Unlock()
}

func (t *httpTunnels) closeAll() {
	t.mu.Lock()
	all := make([]*httpConn, 0, len(t.m))
	for _, c := range t.m {
		all = append(all, c)
	}
	t.mu.Unlock()
	for _, c := range all {
		_ = c.Close()
		c.deregister()
	}
}

// HTTPTunnels returns the number of live HTTP tunnels.
func (h *Handler) HTTPTunnels() int {
	h.httpTun.mu.Lock()
	defer h.httpTun.mu.Unlock()
	return len(h.httpTun.m)
}

// serveHTTPTunnel dispatches on the raw query string, as
// GuacamoleHTTPTunnelServlet does.
func (h *Handler) serveHTTPTunnel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.RawQuery
	switch {
	case q == "connect":
		if r.Method != http.MethodPost {
			h.refuse(w, r, &httpError{http.StatusMethodNotAllowed, protocol.StatusClientBadRequest, "POST required.", nil})
			return
		}
		h.httpConnect(w, r)
		return
	case strings.HasPrefix(q, "read:"), strings.HasPrefix(q, "write:"):
	default:
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "Invalid tunnel operation.", nil})
		return
	}
	token := r.Header.Get(tokenHeader)
	if token == "" {
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "The HTTP tunnel session token is required for all requests after connecting.", nil})
		return
	}
	c := h.httpTun.get(token)
	if c == nil {
		// Once the tunnel is open, the browser takes this as end of stream.
		h.refuse(w, r, &httpError{http.StatusNotFound, protocol.StatusResourceNotFound, "No such tunnel.", nil})
		return
	}
	if strings.HasPrefix(q, "read:") {
		c.serveRead(w, r)
	} else {
		c.serveWrite(w, r)
	}
}

// httpConnect authorises the connect data in the POST body and starts the
// session; the answer is the tunnel UUID and its token.
func (h *Handler) httpConnect(w http.ResponseWriter, r *http.Request) {
	if !h.checkOrigin(r) {
		h.refuse(w, r, &httpError{http.StatusForbidden, protocol.StatusClientForbidden, "Origin not allowed.", nil})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxConnectBody+1))
	if err != nil || len(body) > maxConnectBody {
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "Connect data too large or unreadable.", err})
		return
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "Malformed connect data.", err})
		return
	}
	// Authenticators that read the query string (guacamole-lite tokens) see
	// the connect data there, as over the WebSocket.
	ar := r.Clone(r.Context())
	ar.URL.RawQuery = string(body)
	p, cd, err := h.authorize(r.Context(), ar, v, r.RemoteAddr)
	if err != nil {
		h.refuse(w, r, refusal(err))
		return
	}
	c := newHTTPConn(h, cd.utf16, r.RemoteAddr)
	h.httpTun.put(c)
	var connID string
	p.req.Ready = func(id string) {
		connID = id
		_ = c.Write(protocol.AppendReady(nil, id))
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer p.release()
		err := h.cfg.Server.Serve(h.ctx, c, p.req)
		_ = c.Close()
		h.log.Debug("http tunnel session ended", "remote", c.remote, "connection", connID, "err", err)
	}()
	hdr := w.Header()
	hdr.Set(tokenHeader, c.token)
	hdr.Set("Content-Type", "text/plain; charset=utf-8")
	hdr.Set("Cache-Control", "no-cache")
	_, _ = io.WriteString(w, c.uuid)
}

// httpConn adapts the HTTP tunnel to tunnel.Conn. Browser writes reach the
// core through a synchronous in-memory pipe (so a slow core slows the
// browser's POSTs); output is buffered until a long-poll read takes it.
type httpConn struct {
	h      *Handler
	uuid   string
	token  string
	remote string
	utf16  bool

	in, inPeer net.Conn // the core reads in; write requests write inPeer
	r          *protocol.Reader
	wmu        sync.Mutex // serialises write requests

	mu      sync.Mutex
	out     []byte
	changed chan struct{} // closed and replaced on every change of the fields below
	closed  bool
	reader  int // generation of the newest read request
	expiry  *time.Timer
}

func newHTTPConn(h *Handler, utf16 bool, remote string) *httpConn {
	var tok [33]byte
	_, _ = rand.Read(tok[:])
	in, peer := net.Pipe()
	c := &httpConn{
		h:       h,
		uuid:    newUUID(),
		token:   base64.StdEncoding.EncodeToString(tok[:]),
		remote:  remote,
		utf16:   utf16,
		in:      in,
		inPeer:  peer,
		r:       protocol.NewReader(in),
		changed: make(chan struct{}),
	}
	c.expiry = time.AfterFunc(h.cfg.HTTPTunnelTimeout, c.abandon)
	return c
}

// signalLocked wakes everyone waiting for a change.
func (c *httpConn) signalLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// touch postpones the abandonment timer: the browser is still polling.
func (c *httpConn) touch() { c.expiry.Reset(c.h.cfg.HTTPTunnelTimeout) }

// abandon runs when nobody polled for HTTPTunnelTimeout.
func (c *httpConn) abandon() {
	c.h.log.Debug("http tunnel abandoned", "remote", c.remote)
	_ = c.Close()
	c.deregister()
}

func (c *httpConn) deregister() {
	c.expiry.Stop()
	c.h.httpTun.remove(c)
}

// ReadInstruction implements tunnel.Conn.
func (c *httpConn) ReadInstruction() (protocol.Instruction, error) {
	for {
		ins, err := c.r.ReadInstruction()
		if err != nil {
			if errors.Is(err, io.ErrClosedPipe) {
				return ins, io.EOF
			}
			return ins, err
		}
		if len(ins.Opcode) != 0 {
			return ins, nil
		}
	}
}

// SetReadDeadline implements tunnel.Conn.
func (c *httpConn) SetReadDeadline(t time.Time) error { return c.in.SetReadDeadline(t) }

// RemoteAddr implements tunnel.Conn.
func (c *httpConn) RemoteAddr() string { return c.remote }

// Write implements tunnel.Conn. It queues p for the next read request and
// blocks while more than maxOutput is waiting.
func (c *httpConn) Write(p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	deadline := time.Now().Add(c.h.cfg.HTTPTunnelTimeout)
	for len(c.out) > maxOutput && !c.closed {
		ch := c.changed
		c.mu.Unlock()
		wait := time.Until(deadline)
		t := time.NewTimer(wait)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		c.mu.Lock()
		if wait <= 0 {
			return errors.New("ws: http tunnel: browser stopped reading")
		}
	}
	if c.closed {
		return net.ErrClosed
	}
	pr := parsers.Get().(*protocol.Parser)
	defer parsers.Put(pr)
	pr.Reset()
	for off := 0; off < len(p); {
		ins, n, err := pr.Next(p[off:])
		if err != nil {
			return fmt.Errorf("ws: outgoing data: %w", err)
		}
		// guacamole-common-js's HTTP tunnel ends a response at any empty
		// element, losing the rest: such instructions cannot be delivered.
		if hasEmptyElement(ins) {
			c.h.log.Debug("http tunnel: dropped instruction with an empty element", "opcode", string(ins.Opcode))
		} else if raw := p[off : off+n]; c.utf16 && hasAstral(raw) {
			// Re-counted after parsing: the parser counts code points.
			var err error
			if c.out, err = recount(c.out, raw, true); err != nil {
				return err
			}
		} else {
			c.out = append(c.out, raw...)
		}
		off += n
	}
	c.signalLocked()
	return nil
}

// Close implements tunnel.Conn. Output already queued is still delivered;
// the browser's writes fail from now on.
func (c *httpConn) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		c.signalLocked()
	}
	c.mu.Unlock()
	_ = c.in.Close()
	_ = c.inPeer.Close()
	return nil
}

// take moves queued output to dst for read request gen, and reports whether
// gen is still the newest reader and whether the tunnel is closed (then
// nothing more will be queued).
func (c *httpConn) take(gen int, dst []byte) (out []byte, current, closed bool, changed <-chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	current = gen == c.reader
	if current && len(c.out) > 0 {
		dst = append(dst, c.out...)
		c.out = c.out[:0]
		if cap(c.out) > 64<<10 {
			c.out = nil
		}
		c.signalLocked()
	}
	return dst, current, c.closed, c.changed
}

// serveRead is one long poll: it waits for output (or the end) and answers
// with everything queued, then the end marker. It does not wait for more:
// the browser already has the next read open, and a client that reads
// sequentially gets no added latency.
func (c *httpConn) serveRead(w http.ResponseWriter, r *http.Request) {
	c.touch()
	c.mu.Lock()
	c.reader++
	gen := c.reader
	c.signalLocked()
	c.mu.Unlock()

	poll := time.NewTimer(c.h.cfg.LongPoll)
	defer poll.Stop()
	var buf []byte
	for {
		var current, closed bool
		var changed <-chan struct{}
		buf, current, closed, changed = c.take(gen, buf[:0])
		if len(buf) > 0 && closed {
			c.deregister()
		}
		if len(buf) > 0 || !current {
			break
		}
		if closed {
			// Everything was delivered: later requests get 404, which the
			// browser takes as the end of the stream.
			c.deregister()
			break
		}
		select {
		case <-changed:
		case <-poll.C:
			c.respond(w, nil)
			return
		case <-r.Context().Done():
			return
		}
	}
	c.respond(w, buf)
}

// respond sends data and the end-of-response marker in one write.
func (c *httpConn) respond(w http.ResponseWriter, data []byte) {
	hdr := w.Header()
	hdr.Set("Content-Type", "application/octet-stream")
	hdr.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(data, endOfResponse...))
}

// serveWrite hands the browser's instructions to the core.
func (c *httpConn) serveWrite(w http.ResponseWriter, r *http.Request) {
	c.touch()
	if r.Method != http.MethodPost {
		c.h.refuse(w, r, &httpError{http.StatusMethodNotAllowed, protocol.StatusClientBadRequest, "POST required.", nil})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWriteBody+1))
	if err != nil || len(body) > maxWriteBody {
		c.h.refuse(w, r, &httpError{http.StatusRequestEntityTooLarge, protocol.StatusClientOverrun, "Too much data.", err})
		return
	}
	if c.utf16 && hasAstral(body) {
		if body, err = recount(nil, body, false); err != nil {
			c.h.refuse(w, r, &httpError{http.StatusBadRequest, protocol.StatusClientBadRequest, "Malformed instruction.", err})
			return
		}
	}
	c.wmu.Lock()
	_ = c.inPeer.SetWriteDeadline(time.Now().Add(c.h.cfg.HTTPTunnelTimeout))
	_, err = c.inPeer.Write(body)
	c.wmu.Unlock()
	if err != nil {
		c.h.refuse(w, r, &httpError{http.StatusNotFound, protocol.StatusResourceNotFound, "Tunnel closed.", err})
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
}
