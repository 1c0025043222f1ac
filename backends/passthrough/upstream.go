package passthrough

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// readBufferSize is the relay's read buffer. It holds several maximum-size
// instructions, so one read usually brings many instructions that reach the
// Display as one Write.
const readBufferSize = 128 << 10

// writeTimeout bounds one write upstream, so a stalled guacd cannot hold a
// user's reader forever.
const writeTimeout = 10 * time.Second

// upstream is one TCP connection to guacd. Reading belongs to one goroutine
// at a time (the handshake, then the relay); writes are serialised by wmu
// because user input and sync acknowledgements come from different
// goroutines.
type upstream struct {
	nc      net.Conn
	id      string           // guacd's connection ID, from ready
	version protocol.Version // negotiated

	p          protocol.Parser
	buf        []byte
	start, end int // unconsumed bytes are buf[start:end]

	wmu  sync.Mutex
	wbuf []byte
	werr error
}

func newUpstream(nc net.Conn) *upstream {
	return &upstream{nc: nc, buf: make([]byte, readBufferSize)}
}

// errUpstreamFull cannot happen while readBufferSize exceeds the parser's
// instruction limit; it guards the invariant rather than loop forever.
var errUpstreamFull = errors.New("passthrough: upstream instruction larger than the read buffer")

// fill compacts the buffer and reads more from guacd.
func (u *upstream) fill() error {
	if u.start > 0 {
		// The Parser keeps offsets relative to the start of the pending
		// instruction, so moving it to the front keeps it resumable.
		u.end = copy(u.buf, u.buf[u.start:u.end])
		u.start = 0
	}
	if u.end == len(u.buf) {
		return errUpstreamFull
	}
	n, err := u.nc.Read(u.buf[u.end:])
	u.end += n
	if n > 0 {
		return nil
	}
	return err
}

// readInstruction returns the next instruction, valid until the next read.
func (u *upstream) readInstruction() (protocol.Instruction, error) {
	for {
		ins, n, err := u.p.Next(u.buf[u.start:u.end])
		if err == nil {
			u.start += n
			return ins, nil
		}
		if err != protocol.ErrIncomplete {
			return ins, err
		}
		if err := u.fill(); err != nil {
			return protocol.Instruction{}, err
		}
	}
}

// writeInstruction re-encodes ins and sends it upstream.
func (u *upstream) writeInstruction(ins protocol.Instruction) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	u.wbuf = protocol.AppendInstructionBytes(u.wbuf[:0], ins)
	return u.writeLocked(u.wbuf)
}

// ackSync answers guacd's sync with its own timestamp, as a client would
// once the frame was shown.
func (u *upstream) ackSync(ts []byte) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	u.wbuf = append(u.wbuf[:0], "4.sync,"...)
	u.wbuf = protocol.AppendElementBytes(u.wbuf, ts)
	u.wbuf = append(u.wbuf, ';')
	return u.writeLocked(u.wbuf)
}

// write sends complete instructions (the handshake).
func (u *upstream) write(p []byte) error {
	u.wmu.Lock()
	defer u.wmu.Unlock()
	return u.writeLocked(p)
}

// writeLocked writes p. After a failure the connection is closed, which
// ends the relay and so the session with UPSTREAM_ERROR; later writes fail
// at once.
func (u *upstream) writeLocked(p []byte) error {
	if u.werr != nil {
		return u.werr
	}
	_ = u.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := u.nc.Write(p); err != nil {
		u.werr = errors.New("passthrough: write to guacd: " + err.Error())
		_ = u.nc.Close()
		return u.werr
	}
	return nil
}

func (u *upstream) close() error { return u.nc.Close() }
