package rfbtest

import (
	"bufio"
	"crypto/des"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"

	"github.com/goguacd/goguacd/backends/vnc/anontls"
)

var errAuth = errors.New("rfbtest: authentication failed")

// handshake runs the server side of version, security and init.
func (c *conn) handshake() error {
	s := c.s
	minor := int(s.opts.Version[2] - '0')
	if err := c.write(fmt.Appendf(nil, "RFB 003.%03d\n", minor)); err != nil {
		return err
	}
	var v [12]byte
	if _, err := io.ReadFull(c.br, v[:]); err != nil {
		return err
	}
	var cmaj, cmin int
	if _, err := fmt.Sscanf(string(v[:]), "RFB %03d.%03d\n", &cmaj, &cmin); err != nil || cmaj != 3 {
		return fmt.Errorf("rfbtest: client version %q", v[:])
	}
	minor = min(minor, cmin)
	var chosen uint8
	if minor < 7 {
		chosen = s.opts.Security[0]
		if chosen != SecNone && chosen != SecVNC {
			return fmt.Errorf("rfbtest: security %d needs RFB 3.7+", chosen)
		}
		if err := c.write(binary.BigEndian.AppendUint32(nil, uint32(chosen))); err != nil {
			return err
		}
	} else {
		if err := c.write(append([]byte{byte(len(s.opts.Security))}, s.opts.Security...)); err != nil {
			return err
		}
		b, err := c.br.ReadByte()
		if err != nil {
			return err
		}
		if !slices.Contains(s.opts.Security, b) {
			return fmt.Errorf("rfbtest: client chose unoffered security %d", b)
		}
		chosen = b
	}
	authErr := error(nil)
	switch chosen {
	case SecNone:
		if minor < 8 && !s.opts.RejectAuth {
			return c.clientInit()
		}
	case SecVNC:
		authErr = c.vncAuth()
	case SecVeNCrypt:
		authErr = c.veNCrypt()
	}
	if authErr != nil && !errors.Is(authErr, errAuth) {
		return authErr
	}
	if authErr != nil || s.opts.RejectAuth {
		res := binary.BigEndian.AppendUint32(nil, 1)
		if minor >= 8 {
			reason := "authentication failed"
			res = binary.BigEndian.AppendUint32(res, uint32(len(reason)))
			res = append(res, reason...)
		}
		c.write(res)
		return errAuth
	}
	if err := c.write([]byte{0, 0, 0, 0}); err != nil {
		return err
	}
	return c.clientInit()
}

// clientInit reads ClientInit and sends ServerInit.
func (c *conn) clientInit() error {
	if _, err := c.br.ReadByte(); err != nil {
		return err
	}
	s := c.s
	s.mu.Lock()
	w, h := s.fb.Rect.Dx(), s.fb.Rect.Dy()
	s.mu.Unlock()
	b := binary.BigEndian.AppendUint16(nil, uint16(w))
	b = binary.BigEndian.AppendUint16(b, uint16(h))
	b = nativeFormat.marshal(b)
	b = binary.BigEndian.AppendUint32(b, uint32(len(s.opts.Name)))
	return c.write(append(b, s.opts.Name...))
}

// vncAuth sends a random challenge and checks the DES response.
func (c *conn) vncAuth() error {
	var ch [16]byte
	rand.Read(ch[:])
	if err := c.write(ch[:]); err != nil {
		return err
	}
	var resp [16]byte
	if _, err := io.ReadFull(c.br, resp[:]); err != nil {
		return err
	}
	if resp != vncResponse(c.s.opts.Password, ch) {
		return errAuth
	}
	return nil
}

// vncResponse is the expected answer: DES-ECB with the bit-mirrored
// password bytes as key.
func vncResponse(password string, ch [16]byte) [16]byte {
	var key [8]byte
	copy(key[:], password)
	for i, b := range key {
		key[i] = reverseBits(b)
	}
	blk, _ := des.NewCipher(key[:])
	var out [16]byte
	blk.Encrypt(out[:8], ch[:8])
	blk.Encrypt(out[8:], ch[8:])
	return out
}

// anonGroup is the Diffie-Hellman group of every test server, made once:
// finding a prime takes tens of milliseconds.
var anonGroup = sync.OnceValues(func() (anontls.Group, error) { return anontls.NewGroup(1024) })

// veNCrypt runs VeNCrypt 0.2, the TLS handshake and the inner auth.
func (c *conn) veNCrypt() error {
	s := c.s
	if err := c.write([]byte{0, 2}); err != nil {
		return err
	}
	var v [2]byte
	if _, err := io.ReadFull(c.br, v[:]); err != nil {
		return err
	}
	if v != [2]byte{0, 2} {
		c.write([]byte{1})
		return fmt.Errorf("rfbtest: VeNCrypt version %v", v)
	}
	b := []byte{0, byte(len(s.opts.Subtypes))}
	for _, t := range s.opts.Subtypes {
		b = binary.BigEndian.AppendUint32(b, t)
	}
	if err := c.write(b); err != nil {
		return err
	}
	sub, err := readU32(c.br)
	if err != nil {
		return err
	}
	if !slices.Contains(s.opts.Subtypes, sub) {
		c.write([]byte{0})
		return fmt.Errorf("rfbtest: unoffered VeNCrypt sub-type %d", sub)
	}
	if err := c.write([]byte{1}); err != nil {
		return err
	}
	// The TLS* sub-types are anonymous Diffie-Hellman, as in TigerVNC;
	// the X509* ones present the certificate.
	var tc net.Conn
	if sub < X509None {
		g, err := anonGroup()
		if err != nil {
			return err
		}
		if tc, err = anontls.Server(c.nc, g); err != nil {
			return fmt.Errorf("rfbtest: anonymous TLS: %w", err)
		}
	} else {
		t := tls.Server(c.nc, s.tls)
		if err := t.Handshake(); err != nil {
			return fmt.Errorf("rfbtest: TLS: %w", err)
		}
		tc = t
	}
	c.wmu.Lock()
	c.nc = tc
	c.wmu.Unlock()
	c.br = bufio.NewReaderSize(tc, 64<<10)
	switch sub {
	case TLSVnc, X509Vnc:
		return c.vncAuth()
	case TLSPlain, X509Plain:
		ul, err := readU32(c.br)
		if err != nil {
			return err
		}
		pl, err := readU32(c.br)
		if err != nil {
			return err
		}
		if ul > 4096 || pl > 4096 {
			return errAuth
		}
		up := make([]byte, ul+pl)
		if _, err := io.ReadFull(c.br, up); err != nil {
			return err
		}
		if string(up[:ul]) != s.opts.Username || string(up[ul:]) != s.opts.Password {
			return errAuth
		}
	}
	return nil
}

// reverseBits mirrors a byte: VNC's DES keys use each byte's bits in
// reverse order.
func reverseBits(b byte) byte {
	var m byte
	for j := 0; j < 8; j++ {
		if b&(1<<j) != 0 {
			m |= 0x80 >> j
		}
	}
	return m
}
