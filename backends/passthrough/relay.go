package passthrough

import (
	"errors"

	"github.com/goguacd/goguacd/protocol"
)

// sink is where one upstream stream goes: the Display for the owner's
// connection (broadcast and recorded), a single user for a joiner's.
type sink interface {
	// write passes complete instructions on; p is reused afterwards.
	write(p []byte)
	// frame ends a frame of frames logical frames with goguacd's own sync.
	frame(frames int)
}

// errUpstreamDisconnect means guacd ended the connection normally.
var errUpstreamDisconnect = errors.New("passthrough: guacd sent disconnect")

// relay copies guacd's output to s until the connection fails or guacd
// ends it. It returns a *protocol.StatusError for guacd's `error`,
// errUpstreamDisconnect for its `disconnect`, or the read or parse error.
func (u *upstream) relay(s sink) error {
	for {
		if err := u.process(s); err != nil {
			return err
		}
		if err := u.fill(); err != nil {
			return err
		}
	}
}

// process hands every complete instruction buffered to s, as few writes as
// the stream allows: instructions pass through byte for byte, and the
// stream is only cut around the ones goguacd answers itself.
func (u *upstream) process(s sink) error {
	flushed := u.start // first byte not yet passed to s
	for {
		ins, n, err := u.p.Next(u.buf[u.start:u.end])
		if err == protocol.ErrIncomplete {
			break
		}
		if err != nil {
			// Users still get everything guacd sent intact.
			if u.start > flushed {
				s.write(u.buf[flushed:u.start])
			}
			return err
		}
		at := u.start
		u.start += n
		switch {
		case ins.Is("sync"):
			if at > flushed {
				s.write(u.buf[flushed:at])
			}
			flushed = u.start
			s.frame(syncFrames(ins))
			// A failed ack closed the connection; the next read reports it.
			_ = u.ackSync(ins.Arg(0))
		case ins.Is("msg"):
			// guacd's join/leave notices name its own users (our joiners'
			// upstream connections); the core sends the owner its own.
			if at > flushed {
				s.write(u.buf[flushed:at])
			}
			flushed = u.start
		case ins.Is("error"), ins.Is("disconnect"):
			if at > flushed {
				s.write(u.buf[flushed:at])
			}
			if ins.Is("error") {
				return statusFromError(ins)
			}
			return errUpstreamDisconnect
		}
	}
	if u.start > flushed {
		s.write(u.buf[flushed:u.start])
	}
	return nil
}

// syncFrames reads sync's frame count; guacd before 1.5 sends none, which
// means one frame.
func syncFrames(ins protocol.Instruction) int {
	b := ins.Arg(1)
	if len(b) == 0 || len(b) > 9 {
		return 1
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
