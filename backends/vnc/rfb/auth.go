package rfb

import (
	"crypto/des"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/goguacd/goguacd/backends/vnc/anontls"
)

// VeNCrypt sub-types.
const (
	veTLSNone   = 257
	veTLSVnc    = 258
	veTLSPlain  = 259
	veX509None  = 260
	veX509Vnc   = 261
	veX509Plain = 262
)

// VNCAuthResponse encrypts the 16-byte VNC Authentication challenge with
// password: DES-ECB keyed by the first 8 password bytes with each byte's
// bits reversed (the historic quirk of the VNC reference code).
func VNCAuthResponse(password string, challenge [16]byte) [16]byte {
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = reverseBits(b)
	}
	block, _ := des.NewCipher(key[:]) // cannot fail: the key is 8 bytes
	var out [16]byte
	block.Encrypt(out[:8], challenge[:8])
	block.Encrypt(out[8:], challenge[8:])
	return out
}

func reverseBits(b byte) byte {
	b = b>>4 | b<<4
	b = (b&0xcc)>>2 | (b&0x33)<<2
	return (b&0xaa)>>1 | (b&0x55)<<1
}

// vncAuth answers the VNC Authentication challenge.
func (c *Client) vncAuth() error {
	var ch [16]byte
	if _, err := io.ReadFull(c.br, ch[:]); err != nil {
		return fmt.Errorf("rfb: read VNC auth challenge: %w", err)
	}
	resp := VNCAuthResponse(c.cfg.Password, ch)
	return c.write(func(b []byte) []byte { return append(b, resp[:]...) })
}

// veNCrypt runs the VeNCrypt 0.2 negotiation and the TLS handshake, then
// the inner authentication. It reports whether a credential was checked
// (so a failed SecurityResult means ErrAuthFailed).
func (c *Client) veNCrypt() (bool, error) {
	var v [2]byte
	if _, err := io.ReadFull(c.br, v[:]); err != nil {
		return false, fmt.Errorf("rfb: read VeNCrypt version: %w", err)
	}
	if v[0] != 0 || v[1] < 2 {
		return false, fmt.Errorf("%w: VeNCrypt version %d.%d", ErrUnsupportedSecurity, v[0], v[1])
	}
	if err := c.write(func(b []byte) []byte { return append(b, 0, 2) }); err != nil {
		return false, err
	}
	ok, err := c.readU8()
	if err != nil {
		return false, fmt.Errorf("rfb: read VeNCrypt version ack: %w", err)
	}
	if ok != 0 {
		return false, fmt.Errorf("%w: server refused VeNCrypt 0.2", ErrUnsupportedSecurity)
	}
	n, err := c.readU8()
	if err != nil {
		return false, fmt.Errorf("rfb: read VeNCrypt sub-types: %w", err)
	}
	subs := make([]uint32, n)
	for i := range subs {
		if subs[i], err = c.readU32(); err != nil {
			return false, fmt.Errorf("rfb: read VeNCrypt sub-types: %w", err)
		}
	}
	sub := c.chooseSubtype(subs)
	if sub == 0 {
		return false, fmt.Errorf("%w: VeNCrypt sub-types %v", ErrUnsupportedSecurity, subs)
	}
	if err := c.write(func(b []byte) []byte { return binary.BigEndian.AppendUint32(b, sub) }); err != nil {
		return false, err
	}
	if ok, err = c.readU8(); err != nil {
		return false, fmt.Errorf("rfb: read VeNCrypt sub-type ack: %w", err)
	}
	if ok != 1 {
		return false, fmt.Errorf("%w: server refused VeNCrypt sub-type %d", ErrUnsupportedSecurity, sub)
	}
	if err := c.startTLS(sub < veX509None); err != nil {
		return false, err
	}
	switch sub {
	case veTLSVnc, veX509Vnc:
		return true, c.vncAuth()
	case veTLSPlain, veX509Plain:
		return true, c.write(func(b []byte) []byte {
			b = binary.BigEndian.AppendUint32(b, uint32(len(c.cfg.Username)))
			b = binary.BigEndian.AppendUint32(b, uint32(len(c.cfg.Password)))
			b = append(b, c.cfg.Username...)
			return append(b, c.cfg.Password...)
		})
	}
	return false, nil
}

// chooseSubtype prefers certificate-based TLS over anonymous TLS and the
// strongest inner authentication the Config has credentials for.
func (c *Client) chooseSubtype(subs []uint32) uint32 {
	var order []uint32
	switch {
	case c.cfg.Username != "":
		order = []uint32{veX509Plain, veTLSPlain, veX509Vnc, veTLSVnc, veX509None, veTLSNone}
	case c.cfg.Password != "":
		order = []uint32{veX509Vnc, veTLSVnc, veX509Plain, veTLSPlain, veX509None, veTLSNone}
	default:
		order = []uint32{veX509None, veTLSNone}
	}
	for _, want := range order {
		for _, s := range subs {
			if s == want {
				return s
			}
		}
	}
	return 0
}

// startTLS wraps the connection in TLS: anonymous Diffie-Hellman for the
// TLS* sub-types, as VNC servers implement them, certificate-based for the
// X509* ones. Nothing may be buffered yet: the server waits for our
// ClientHello.
func (c *Client) startTLS(anon bool) error {
	if c.br.Buffered() != 0 {
		return protoErr("data before the TLS handshake")
	}
	if anon {
		ac, err := anontls.Client(c.conn)
		if err != nil {
			return fmt.Errorf("rfb: anonymous TLS handshake: %w", err)
		}
		c.conn = ac
		c.br.Reset(ac)
		return nil
	}
	cfg := c.cfg.TLSConfig
	if cfg == nil {
		cfg = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // guacd/libvncclient do not verify VNC certificates either
	}
	tc := tls.Client(c.conn, cfg)
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("rfb: TLS handshake: %w", err)
	}
	c.conn = tc
	c.br.Reset(tc)
	return nil
}
