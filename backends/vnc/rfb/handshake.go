package rfb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"io"
	"unicode/utf8"

	"github.com/goguacd/goguacd/backends/rgb"
)

// Security types.
const (
	secInvalid  = 0
	secNone     = 1
	secVNC      = 2
	secVeNCrypt = 19
)

// handshake runs ProtocolVersion, security, ClientInit/ServerInit and sends
// SetPixelFormat and SetEncodings.
func (c *Client) handshake(encs []int32) error {
	minor, err := c.version()
	if err != nil {
		return err
	}
	if err := c.security(minor); err != nil {
		return err
	}
	if err := c.write(func(b []byte) []byte { return append(b, boolByte(!c.cfg.Exclusive)) }); err != nil {
		return err
	}
	var hdr [24]byte
	if _, err := io.ReadFull(c.br, hdr[:]); err != nil {
		return fmt.Errorf("rfb: read ServerInit: %w", err)
	}
	w, h := int(binary.BigEndian.Uint16(hdr[0:])), int(binary.BigEndian.Uint16(hdr[2:]))
	if w > MaxDimension || h > MaxDimension {
		return protoErr("framebuffer %dx%d exceeds %d", w, h, MaxDimension)
	}
	name, err := c.readString(binary.BigEndian.Uint32(hdr[20:]), maxName)
	if err != nil {
		return fmt.Errorf("rfb: read desktop name: %w", err)
	}
	c.name = name
	c.fb = newFramebuffer(w, h)
	return c.write(func(b []byte) []byte {
		b = append(b, 0, 0, 0, 0)
		b = append(b, make([]byte, 16)...)
		c.wireFB.marshal(b[4:])
		b = append(b, 2, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(encs)))
		for _, e := range encs {
			b = binary.BigEndian.AppendUint32(b, uint32(e))
		}
		return b
	})
}

// newFramebuffer returns a black w×h image.
func newFramebuffer(w, h int) *rgb.Image {
	fb := &rgb.Image{Stride: 3 * w, Rect: image.Rect(0, 0, w, h)}
	fb.Pix = allocPixels(fb, 3*w*h)
	return fb
}

// version reads the server's ProtocolVersion and answers with the highest
// of 3.3, 3.7, 3.8 it allows. It returns the agreed minor version.
func (c *Client) version() (int, error) {
	var v [12]byte
	if _, err := io.ReadFull(c.br, v[:]); err != nil {
		return 0, fmt.Errorf("rfb: read ProtocolVersion: %w", err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(string(v[:]), "RFB %03d.%03d\n", &major, &minor); err != nil || major != 3 {
		return 0, protoErr("bad ProtocolVersion %q", v[:])
	}
	switch {
	case minor >= 8:
		minor = 8
	case minor == 7:
	default:
		// 3.3 and the odd 3.4/3.5/3.6 announcements speak 3.3.
		minor = 3
	}
	err := c.write(func(b []byte) []byte { return fmt.Appendf(b, "RFB 003.%03d\n", minor) })
	return minor, err
}

// readString reads a string of n bytes (length sent before it), refusing
// more than limit. Names and reasons are UTF-8 in practice (rfbproto
// recommends it); bytes that are not valid UTF-8 are taken as Latin-1.
func (c *Client) readString(n uint32, limit int) (string, error) {
	b, err := c.readBytes(n, limit)
	if err != nil {
		return "", err
	}
	if utf8.Valid(b) {
		return string(b), nil
	}
	return latin1(b), nil
}

// readBytes reads n bytes, refusing more than limit.
func (c *Client) readBytes(n uint32, limit int) ([]byte, error) {
	if n > uint32(limit) {
		return nil, protoErr("string of %d bytes exceeds %d", n, limit)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(c.br, b); err != nil {
		return nil, err
	}
	return b, nil
}

// latin1 converts ISO 8859-1 bytes to a UTF-8 string.
func latin1(b []byte) string {
	ascii := true
	for _, x := range b {
		if x >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, x := range b {
		r[i] = rune(x)
	}
	return string(r)
}

// readReason reads a u32-length failure reason.
func (c *Client) readReason() error {
	var n [4]byte
	if _, err := io.ReadFull(c.br, n[:]); err != nil {
		return fmt.Errorf("rfb: read failure reason: %w", err)
	}
	s, err := c.readString(binary.BigEndian.Uint32(n[:]), maxReason)
	if err != nil {
		return fmt.Errorf("rfb: read failure reason: %w", err)
	}
	return &ServerError{Reason: s}
}

func (c *Client) readU32() (uint32, error) {
	var b [4]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

func (c *Client) readU8() (byte, error) {
	return c.br.ReadByte()
}

// security negotiates and performs the security handshake.
func (c *Client) security(minor int) error {
	var chosen byte
	if minor == 3 {
		t, err := c.readU32()
		if err != nil {
			return fmt.Errorf("rfb: read security type: %w", err)
		}
		switch t {
		case secInvalid:
			return c.readReason()
		case secVNC:
			if c.cfg.Password == "" {
				return ErrPasswordRequired
			}
			chosen = byte(t)
		case secNone:
			chosen = byte(t)
		default:
			return fmt.Errorf("%w: server requires type %d", ErrUnsupportedSecurity, t)
		}
	} else {
		n, err := c.readU8()
		if err != nil {
			return fmt.Errorf("rfb: read security types: %w", err)
		}
		if n == 0 {
			return c.readReason()
		}
		types := make([]byte, n)
		if _, err := io.ReadFull(c.br, types); err != nil {
			return fmt.Errorf("rfb: read security types: %w", err)
		}
		chosen = c.chooseSecurity(types)
		if chosen == secInvalid && c.cfg.Password == "" && bytes.IndexByte(types, secVNC) >= 0 {
			return ErrPasswordRequired
		}
		if chosen == secInvalid {
			return fmt.Errorf("%w: server offers %v", ErrUnsupportedSecurity, types)
		}
		if err := c.write(func(b []byte) []byte { return append(b, chosen) }); err != nil {
			return err
		}
	}
	auth := false
	switch chosen {
	case secNone:
		if minor < 8 {
			return nil // 3.3 and 3.7 send no SecurityResult for None
		}
	case secVNC:
		auth = true
		if err := c.vncAuth(); err != nil {
			return err
		}
	case secVeNCrypt:
		var err error
		if auth, err = c.veNCrypt(); err != nil {
			return err
		}
	}
	return c.securityResult(minor, auth)
}

// chooseSecurity picks the strongest offered type the Config can satisfy.
// With no password, None is preferred because VeNCrypt might then only
// offer sub-types needing credentials.
func (c *Client) chooseSecurity(types []byte) byte {
	has := func(t byte) bool {
		for _, x := range types {
			if x == t {
				return true
			}
		}
		return false
	}
	var order []byte
	if c.cfg.Password != "" {
		order = []byte{secVeNCrypt, secVNC, secNone}
	} else {
		order = []byte{secNone, secVeNCrypt}
	}
	for _, t := range order {
		if has(t) {
			return t
		}
	}
	return secInvalid
}

// securityResult reads the SecurityResult word. 3.8 adds a reason string.
func (c *Client) securityResult(minor int, auth bool) error {
	r, err := c.readU32()
	if err != nil {
		return fmt.Errorf("rfb: read SecurityResult: %w", err)
	}
	if r == 0 {
		return nil
	}
	var reason error = &ServerError{Reason: "security handshake failed"}
	if minor >= 8 {
		reason = c.readReason()
	}
	if auth {
		return fmt.Errorf("%w: %w", ErrAuthFailed, reason)
	}
	return reason
}
