package ws

import (
	"sync"

	"github.com/goguacd/goguacd/protocol"
)

// MaxMessage is the size at which outgoing instructions stop being coalesced
// into one WebSocket message, guacamole-client's BUFFER_SIZE. A single larger
// instruction is still sent whole.
const MaxMessage = 8192

// parsers holds the Parsers used to find instruction boundaries; an idle
// tunnel holds none (a Parser is about 5 KiB).
var parsers = sync.Pool{New: func() any { return new(protocol.Parser) }}

// endState is what the outgoing stream said about the session's end.
type endState struct {
	status protocol.Status
	seen   bool // an error instruction went out
}

// note records an error instruction's status, so the tunnel can close with
// the same status.
func (e *endState) note(ins protocol.Instruction) {
	if !ins.Is("error") {
		return
	}
	st, ok := protocol.ParseStatus(ins.Arg(1))
	if !ok {
		st = protocol.StatusServerError
	}
	e.status, e.seen = st, true
}

// closeStatus is the status to close with: the last error sent, else success.
func (e *endState) closeStatus() protocol.Status {
	if e.seen {
		return e.status
	}
	return protocol.StatusSuccess
}

// hasEmptyElement reports whether ins has an empty element. The HTTP tunnel
// of guacamole-common-js treats any zero length as its end-of-response
// marker, so such an instruction can never be delivered through it.
func hasEmptyElement(ins protocol.Instruction) bool {
	if len(ins.Opcode) == 0 {
		return true
	}
	for _, a := range ins.Args {
		if len(a) == 0 {
			return true
		}
	}
	return false
}
