package rfb

import (
	"encoding/binary"
	"fmt"
)

// SupportedMessages pseudo-encoding (libvncserver, UltraVNC): the server
// answers it with a rectangle whose width is the body length, 64 bytes of
// bitmaps saying which message types it understands.
const (
	encSupportedMessages int32 = -131071 // 0xFFFE0001
	supportedMessagesLen       = 64
	// msgSetServerInput is UltraVNC's client message that enables (0) or
	// disables (1) the server's local keyboard and mouse.
	msgSetServerInput = 9
)

// supportedMessages holds the server's announcement: bit n%8 of byte n/8
// is set when message type n is understood.
type supportedMessages struct {
	clientToServer [32]byte
	serverToClient [32]byte
}

// parseSupportedMessages decodes the rectangle body; anything other than
// exactly the two 32-byte bitmaps is a protocol error.
func parseSupportedMessages(b []byte) (supportedMessages, error) {
	var m supportedMessages
	if len(b) != supportedMessagesLen {
		return m, protoErr("SupportedMessages body of %d bytes, want %d", len(b), supportedMessagesLen)
	}
	copy(m.clientToServer[:], b[:32])
	copy(m.serverToClient[:], b[32:])
	return m, nil
}

// accepts reports whether the server understands client message type t.
func (m *supportedMessages) accepts(t uint8) bool {
	return m.clientToServer[t/8]&(1<<(t%8)) != 0
}

// supportedMessagesRect reads the pseudo-rectangle of width n and, when the
// server accepts SetServerInput and Config asks for it, disables the
// server's local input once. A server that never announces the message is
// never sent it: TigerVNC, for one, drops the connection on an unknown
// message type.
func (c *Client) supportedMessagesRect(n int) error {
	b, err := c.next(n)
	if err != nil {
		return fmt.Errorf("rfb: read SupportedMessages: %w", err)
	}
	m, err := parseSupportedMessages(b)
	if err != nil {
		return err
	}
	if !c.cfg.DisableServerInput || !m.accepts(msgSetServerInput) || c.serverInputSent.Swap(true) {
		return nil
	}
	msg := append(c.begin(), msgSetServerInput, 1)
	return c.send(binary.BigEndian.AppendUint16(msg, 0))
}

// ServerInputDisabled reports whether SetServerInput (disable) was sent.
func (c *Client) ServerInputDisabled() bool { return c.serverInputSent.Load() }
