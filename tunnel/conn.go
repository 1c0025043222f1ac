package tunnel

import (
	"crypto/tls"
	"net"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// Conn is the subset of a transport a session needs. Every transport (guacd
// TCP, WebSocket, HTTP tunnel) adapts to it. A session uses one reader
// goroutine (ReadInstruction, SetReadDeadline) and one writer goroutine
// (Write); Close may be called from anywhere, more than once.
type Conn interface {
	// ReadInstruction returns the next instruction; it is valid until the
	// next call.
	ReadInstruction() (protocol.Instruction, error)
	// Write sends complete instructions. It may block on a slow peer.
	Write(p []byte) error
	SetReadDeadline(t time.Time) error
	Close() error
	RemoteAddr() string
}

// StreamConn adapts a byte stream (TCP, TLS, a pipe) to Conn.
type StreamConn struct {
	nc net.Conn
	r  *protocol.Reader
}

// NewStreamConn wraps nc; maxInstruction bounds one instruction's size
// (0 means protocol.DefaultMaxInstructionSize).
func NewStreamConn(nc net.Conn, maxInstruction int) *StreamConn {
	if maxInstruction <= 0 {
		maxInstruction = protocol.DefaultMaxInstructionSize
	}
	return &StreamConn{nc: nc, r: protocol.NewReaderSize(nc, maxInstruction)}
}

// ReadInstruction implements Conn.
func (c *StreamConn) ReadInstruction() (protocol.Instruction, error) { return c.r.ReadInstruction() }

// Write implements Conn.
func (c *StreamConn) Write(p []byte) error {
	_, err := c.nc.Write(p)
	return err
}

// SetReadDeadline implements Conn.
func (c *StreamConn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// SetWriteDeadline bounds how long one Write may block.
func (c *StreamConn) SetWriteDeadline(t time.Time) error { return c.nc.SetWriteDeadline(t) }

// Close implements Conn.
func (c *StreamConn) Close() error { return c.nc.Close() }

// RemoteAddr implements Conn.
func (c *StreamConn) RemoteAddr() string { return c.nc.RemoteAddr().String() }

// Raw returns the wire bytes of the last instruction read.
func (c *StreamConn) Raw() []byte { return c.r.Raw() }

// Reader exposes the buffered reader, for splicing after a handshake.
func (c *StreamConn) Reader() *protocol.Reader { return c.r }

// NetConn returns the underlying connection.
func (c *StreamConn) NetConn() net.Conn { return c.nc }

// handshakeTLS completes a TLS handshake within d, so a silent client cannot
// hold an accept slot forever (guacd's SSL_accept has no timeout).
func handshakeTLS(tc *tls.Conn, d time.Duration) error {
	_ = tc.SetDeadline(time.Now().Add(d))
	err := tc.Handshake()
	_ = tc.SetDeadline(time.Time{})
	return err
}
