package rfb

import (
	"errors"
	"fmt"
)

var (
	// ErrAuthFailed means the server rejected the credentials (wrong
	// password or user name). Callers map it to an "unauthorized" status.
	ErrAuthFailed = errors.New("rfb: authentication failed")
	// ErrUnsupportedSecurity means the server offered no security type (or
	// VeNCrypt sub-type) this client can satisfy with its Config.
	ErrUnsupportedSecurity = errors.New("rfb: no supported security type")
	// ErrPasswordRequired means the server only offers authentication that
	// needs a password and Config has none (guacd then prompts the user
	// with a `required` instruction).
	ErrPasswordRequired = errors.New("rfb: server requires a password")
	// ErrUnsupported is returned by SetDesktopSize when the server did not
	// announce ExtendedDesktopSize support.
	ErrUnsupported = errors.New("rfb: not supported by the server")
	// ErrProtocol wraps every violation of the RFB protocol by the server:
	// bad messages, rectangles outside the framebuffer, absurd sizes,
	// corrupt compressed data.
	ErrProtocol = errors.New("rfb: protocol error")
)

// ServerError carries a failure reason sent by the server (handshake
// refusal or SecurityResult failure). It may be joined with ErrAuthFailed.
type ServerError struct {
	Reason string
}

func (e *ServerError) Error() string { return "rfb: server error: " + e.Reason }

// protoErr builds an error that matches ErrProtocol.
func protoErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrProtocol, fmt.Sprintf(format, args...))
}
