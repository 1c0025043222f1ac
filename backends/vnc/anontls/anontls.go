// Package anontls is TLS 1.2 with anonymous Diffie-Hellman key exchange
// (TLS_DH_anon_WITH_AES_128_GCM_SHA256, RFC 5246 and RFC 5288), the
// transport of the VeNCrypt sub-types TLSNone, TLSVnc and TLSPlain. VNC
// servers such as TigerVNC (GnuTLS anonymous credentials) speak it for
// those sub-types; crypto/tls has no anonymous key exchange, so without
// this package goguacd could only reach the certificate-based X509*
// sub-types.
//
// Anonymous TLS encrypts but does not authenticate the server: an active
// attacker on the path can read the session. That is what these VeNCrypt
// sub-types are (guacd's libvncclient speaks them the same way); the
// X509* sub-types, tried first, exist for servers that have a
// certificate.
package anontls

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"math/big"
	"net"
	"sync"
	"time"
)

// The one cipher suite: GnuTLS's ANON-DH offers it in its NORMAL
// priority, and AEAD needs no MAC-then-encrypt record code.
const suiteDHAnonAES128GCM = 0x00a6

// emptyRenegotiationSCSV signals secure renegotiation (RFC 5746) without
// an extension; renegotiation itself is refused.
const emptyRenegotiationSCSV = 0x00ff

// Record content types.
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23
)

// Handshake message types.
const (
	msgClientHello       = 1
	msgServerHello       = 2
	msgServerKeyExchange = 12
	msgServerHelloDone   = 14
	msgClientKeyExchange = 16
	msgFinished          = 20
)

const (
	maxPlaintext = 1 << 14
	// An AEAD record adds the 8-byte explicit nonce and the 16-byte tag;
	// RFC 5246 allows up to 2048 bytes of expansion.
	maxRecord   = maxPlaintext + 2048
	gcmExplicit = 8
	version12   = 0x0303

	// Groups outside these bounds are refused: below 1024 bits the key
	// exchange is breakable (Logjam), above 8192 a hostile server could
	// make us spend seconds per modular exponentiation.
	minGroupBits = 1024
	maxGroupBits = 8192
)

// Errors a caller may want to tell apart.
var (
	// ErrHandshake reports a peer that broke the handshake protocol or
	// offered nothing we speak.
	ErrHandshake = errors.New("anontls: handshake failed")
	// ErrAlert reports a fatal alert from the peer.
	ErrAlert = errors.New("anontls: alert from peer")
	// ErrRecord reports a record that failed to decrypt or was malformed.
	ErrRecord = errors.New("anontls: bad record")
)

// Conn is an established anonymous TLS connection. Reads and writes may
// run concurrently with each other; concurrent Reads (or Writes) are
// serialised.
type Conn struct {
	conn net.Conn

	rmu      sync.Mutex
	in       halfConn
	raw      []byte // bytes read from conn: the current record, then the start of the next
	consumed int    // length of the current record in raw
	plain    []byte // decrypted application data not yet returned
	rerr     error

	wmu  sync.Mutex
	out  halfConn
	wbuf []byte
	werr error

	// Handshake state.
	hs                    []byte // handshake bytes read but not yet consumed as messages
	transcript            hash.Hash
	pendingIn, pendingOut halfConn // keys that take effect at ChangeCipherSpec
}

// halfConn is one direction's record protection.
type halfConn struct {
	aead cipher.AEAD
	salt [4]byte // the implicit part of the GCM nonce
	seq  uint64
}

// Client runs the client side of the handshake on conn. On error conn is
// left as is for the caller to close.
func Client(conn net.Conn) (*Conn, error) {
	c := &Conn{conn: conn, transcript: sha256.New()}
	if err := c.clientHandshake(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conn) clientHandshake() error {
	var clientRandom [32]byte
	if _, err := rand.Read(clientRandom[:]); err != nil {
		return err
	}
	hello := []byte{0x03, 0x03}
	hello = append(hello, clientRandom[:]...)
	hello = append(hello, 0)                            // no session id
	hello = append(hello, 0, 4, 0x00, 0xa6, 0x00, 0xff) // cipher suites
	hello = append(hello, 1, 0)                         // compression: null
	// supported_groups naming the RFC 7919 groups: a GnuTLS server with
	// no Diffie-Hellman parameters of its own (TigerVNC sets none) can
	// then still run DH_anon, with one of these well-known primes.
	hello = append(hello, 0, 10, 0x00, 0x0a, 0, 6, 0, 4, 0x01, 0x00, 0x01, 0x01)
	if err := c.writeHandshake(msgClientHello, hello); err != nil {
		return err
	}

	typ, body, err := c.readHandshake()
	if err != nil {
		return err
	}
	if typ != msgServerHello {
		return fmt.Errorf("%w: message %d instead of ServerHello", ErrHandshake, typ)
	}
	serverRandom, err := parseServerHello(body)
	if err != nil {
		return err
	}
	if typ, body, err = c.readHandshake(); err != nil {
		return err
	}
	if typ != msgServerKeyExchange {
		// A Certificate here means the server wants certificate-based
		// TLS, which is what the X509* sub-types are for.
		return fmt.Errorf("%w: message %d instead of an anonymous ServerKeyExchange", ErrHandshake, typ)
	}
	p, g, ys, err := parseDHParams(body)
	if err != nil {
		return err
	}
	if typ, body, err = c.readHandshake(); err != nil {
		return err
	}
	if typ != msgServerHelloDone || len(body) != 0 {
		return fmt.Errorf("%w: message %d instead of ServerHelloDone", ErrHandshake, typ)
	}

	x, err := dhPrivate(p)
	if err != nil {
		return err
	}
	yc := new(big.Int).Exp(g, x, p)
	z := new(big.Int).Exp(ys, x, p)
	if z.Cmp(big.NewInt(1)) <= 0 {
		return fmt.Errorf("%w: degenerate shared secret", ErrHandshake)
	}
	if err := c.writeHandshake(msgClientKeyExchange, appendVector16(nil, yc.Bytes())); err != nil {
		return err
	}
	master := masterSecret(z.Bytes(), clientRandom[:], serverRandom)
	c.setKeys(master, clientRandom[:], serverRandom, true)
	return c.finish(master, "client finished", "server finished", true)
}

// finish exchanges ChangeCipherSpec and Finished: the client sends first.
func (c *Conn) finish(master []byte, ours, theirs string, first bool) error {
	send := func() error {
		if err := c.writeRecord(recordChangeCipherSpec, []byte{1}, false); err != nil {
			return err
		}
		c.out.aead = c.pendingOut.aead
		c.out.salt = c.pendingOut.salt
		return c.writeHandshake(msgFinished, prf(master, ours, c.transcript.Sum(nil), 12))
	}
	receive := func() error {
		typ, payload, err := c.readRecord()
		if err != nil {
			return err
		}
		if typ != recordChangeCipherSpec || len(payload) != 1 || payload[0] != 1 || len(c.hs) != 0 {
			return fmt.Errorf("%w: expected ChangeCipherSpec", ErrHandshake)
		}
		c.in.aead = c.pendingIn.aead
		c.in.salt = c.pendingIn.salt
		want := prf(master, theirs, c.transcript.Sum(nil), 12)
		typ, body, err := c.readHandshake()
		if err != nil {
			return err
		}
		if typ != msgFinished || !hmac.Equal(body, want) {
			return fmt.Errorf("%w: Finished does not verify", ErrHandshake)
		}
		return nil
	}
	if first {
		if err := send(); err != nil {
			return err
		}
		return receive()
	}
	if err := receive(); err != nil {
		return err
	}
	return send()
}

func parseServerHello(b []byte) (random []byte, err error) {
	bad := fmt.Errorf("%w: malformed ServerHello", ErrHandshake)
	if len(b) < 2+32+1 {
		return nil, bad
	}
	if v := binary.BigEndian.Uint16(b); v != version12 {
		return nil, fmt.Errorf("%w: server chose TLS version %#04x", ErrHandshake, v)
	}
	random = b[2:34]
	b = b[34:]
	n := int(b[0])
	if len(b) < 1+n+3 {
		return nil, bad
	}
	b = b[1+n:]
	if suite := binary.BigEndian.Uint16(b); suite != suiteDHAnonAES128GCM {
		return nil, fmt.Errorf("%w: server chose cipher suite %#04x", ErrHandshake, suite)
	}
	if b[2] != 0 {
		return nil, fmt.Errorf("%w: server chose compression %d", ErrHandshake, b[2])
	}
	// Extensions, if any, answer nothing we asked for: ignore them.
	return random, nil
}

// parseDHParams reads ServerDHParams and checks the group and public value.
func parseDHParams(b []byte) (p, g, ys *big.Int, err error) {
	var vals [3]*big.Int
	for i := range vals {
		v, rest, ok := readVector16(b)
		if !ok || len(v) == 0 {
			return nil, nil, nil, fmt.Errorf("%w: malformed ServerKeyExchange", ErrHandshake)
		}
		vals[i], b = new(big.Int).SetBytes(v), rest
	}
	if len(b) != 0 {
		// Anonymous key exchange carries no signature.
		return nil, nil, nil, fmt.Errorf("%w: signed ServerKeyExchange", ErrHandshake)
	}
	p, g, ys = vals[0], vals[1], vals[2]
	if bits := p.BitLen(); bits < minGroupBits || bits > maxGroupBits || p.Bit(0) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: Diffie-Hellman group of %d bits", ErrHandshake, p.BitLen())
	}
	pm1 := new(big.Int).Sub(p, big.NewInt(1))
	for _, v := range []*big.Int{g, ys} {
		if v.Cmp(big.NewInt(1)) <= 0 || v.Cmp(pm1) >= 0 {
			return nil, nil, nil, fmt.Errorf("%w: Diffie-Hellman value out of range", ErrHandshake)
		}
	}
	return p, g, ys, nil
}

// dhPrivate returns a private exponent in [2, p-2].
func dhPrivate(p *big.Int) (*big.Int, error) {
	x, err := rand.Int(rand.Reader, new(big.Int).Sub(p, big.NewInt(3)))
	if err != nil {
		return nil, err
	}
	return x.Add(x, big.NewInt(2)), nil
}

// masterSecret derives the master secret from the pre-master secret (the
// shared value without leading zero bytes, RFC 5246 8.1.2).
func masterSecret(pms, clientRandom, serverRandom []byte) []byte {
	seed := append(append([]byte{}, clientRandom...), serverRandom...)
	return prf(pms, "master secret", seed, 48)
}

// setKeys derives the record keys and arms them for after the
// ChangeCipherSpec of each direction.
func (c *Conn) setKeys(master, clientRandom, serverRandom []byte, client bool) {
	seed := append(append([]byte{}, serverRandom...), clientRandom...)
	kb := prf(master, "key expansion", seed, 2*16+2*4)
	ck, sk, cs, ss := kb[0:16], kb[16:32], kb[32:36], kb[36:40]
	mk := func(key, salt []byte) halfConn {
		block, _ := aes.NewCipher(key) // cannot fail: 16-byte key
		aead, _ := cipher.NewGCM(block)
		h := halfConn{aead: aead}
		copy(h.salt[:], salt)
		return h
	}
	if client {
		c.pendingOut, c.pendingIn = mk(ck, cs), mk(sk, ss)
	} else {
		c.pendingOut, c.pendingIn = mk(sk, ss), mk(ck, cs)
	}
}

// prf is the TLS 1.2 PRF with SHA-256 (RFC 5246 section 5).
func prf(secret []byte, label string, seed []byte, n int) []byte {
	ls := append([]byte(label), seed...)
	mac := hmac.New(sha256.New, secret)
	sum := func(parts ...[]byte) []byte {
		mac.Reset()
		for _, p := range parts {
			mac.Write(p)
		}
		return mac.Sum(nil)
	}
	out := make([]byte, 0, n+sha256.Size)
	for a := sum(ls); len(out) < n; a = sum(a) {
		out = append(out, sum(a, ls)...)
	}
	return out[:n]
}

// readVector16 splits a 16-bit length-prefixed vector off b.
func readVector16(b []byte) (v, rest []byte, ok bool) {
	if len(b) < 2 {
		return nil, nil, false
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return nil, nil, false
	}
	return b[2 : 2+n], b[2+n:], true
}

func appendVector16(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// writeHandshake sends one handshake message and adds it to the transcript.
func (c *Conn) writeHandshake(typ byte, body []byte) error {
	msg := make([]byte, 4, 4+len(body))
	msg[0] = typ
	msg[1], msg[2], msg[3] = byte(len(body)>>16), byte(len(body)>>8), byte(len(body))
	msg = append(msg, body...)
	c.transcript.Write(msg)
	return c.writeRecord(recordHandshake, msg, true)
}

// readHandshake returns the next handshake message, reassembled from as
// many records as it spans, and adds it to the transcript.
func (c *Conn) readHandshake() (typ byte, body []byte, err error) {
	for {
		if len(c.hs) >= 4 {
			n := int(c.hs[1])<<16 | int(c.hs[2])<<8 | int(c.hs[3])
			if n > maxRecord*4 {
				return 0, nil, fmt.Errorf("%w: %d-byte handshake message", ErrHandshake, n)
			}
			if len(c.hs) >= 4+n {
				msg := c.hs[:4+n]
				c.transcript.Write(msg)
				typ, body = msg[0], append([]byte(nil), msg[4:]...)
				c.hs = c.hs[4+n:]
				return typ, body, nil
			}
		}
		rt, payload, err := c.readRecord()
		if err != nil {
			return 0, nil, err
		}
		if rt != recordHandshake {
			return 0, nil, fmt.Errorf("%w: record type %d during the handshake", ErrHandshake, rt)
		}
		c.hs = append(c.hs, payload...)
	}
}

// writeRecord sends payload as records of type typ, protected once the
// write direction has keys. Handshake writes happen before any
// application Write, so they need not take wmu.
func (c *Conn) writeRecord(typ byte, payload []byte, split bool) error {
	for first := true; first || len(payload) > 0; first = false {
		n := min(len(payload), maxPlaintext)
		if !split && n < len(payload) {
			return fmt.Errorf("anontls: record of %d bytes", len(payload))
		}
		c.wbuf = c.out.seal(c.wbuf[:0], typ, payload[:n])
		if _, err := c.conn.Write(c.wbuf); err != nil {
			return err
		}
		payload = payload[n:]
	}
	return nil
}

// seal appends the record for plaintext p.
func (h *halfConn) seal(dst []byte, typ byte, p []byte) []byte {
	if h.aead == nil {
		dst = append(dst, typ, 3, 3, byte(len(p)>>8), byte(len(p)))
		return append(dst, p...)
	}
	n := gcmExplicit + len(p) + h.aead.Overhead()
	dst = append(dst, typ, 3, 3, byte(n>>8), byte(n))
	var nonce [12]byte
	copy(nonce[:4], h.salt[:])
	binary.BigEndian.PutUint64(nonce[4:], h.seq)
	dst = append(dst, nonce[4:]...)
	var aad [13]byte
	binary.BigEndian.PutUint64(aad[:], h.seq)
	aad[8], aad[9], aad[10] = typ, 3, 3
	binary.BigEndian.PutUint16(aad[11:], uint16(len(p)))
	h.seq++
	return h.aead.Seal(dst, nonce[:], p, aad[:])
}

// readRecord reads and unprotects one record. Alerts end the connection:
// close_notify as io.EOF, any other as ErrAlert. The payload is valid
// until the next readRecord. A read that times out loses nothing: the
// next call goes on with the bytes already read.
func (c *Conn) readRecord() (typ byte, payload []byte, err error) {
	if c.consumed > 0 {
		c.raw = c.raw[:copy(c.raw, c.raw[c.consumed:])]
		c.consumed = 0
	}
	for {
		if len(c.raw) >= 5 {
			n := int(binary.BigEndian.Uint16(c.raw[3:]))
			if c.raw[1] != 3 || n > maxRecord {
				return 0, nil, fmt.Errorf("%w: header % x", ErrRecord, c.raw[:5])
			}
			if len(c.raw) >= 5+n {
				c.consumed = 5 + n
				typ, payload = c.raw[0], c.raw[5:5+n]
				break
			}
		}
		if cap(c.raw) < 5+maxRecord {
			c.raw = append(make([]byte, 0, 5+maxRecord), c.raw...)
		}
		m, err := c.conn.Read(c.raw[len(c.raw):cap(c.raw)])
		c.raw = c.raw[:len(c.raw)+m]
		if err != nil {
			if err == io.EOF && len(c.raw) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return 0, nil, err
		}
	}
	if c.in.aead != nil {
		if payload, err = c.in.open(typ, payload); err != nil {
			return 0, nil, err
		}
	}
	if len(payload) > maxPlaintext {
		return 0, nil, fmt.Errorf("%w: %d-byte plaintext", ErrRecord, len(payload))
	}
	if typ == recordAlert {
		if len(payload) == 2 && payload[1] == 0 {
			return 0, nil, io.EOF
		}
		if len(payload) == 2 {
			return 0, nil, fmt.Errorf("%w: level %d, description %d", ErrAlert, payload[0], payload[1])
		}
		return 0, nil, fmt.Errorf("%w: malformed alert", ErrRecord)
	}
	return typ, payload, nil
}

// open decrypts record body b of type typ in place.
func (h *halfConn) open(typ byte, b []byte) ([]byte, error) {
	if len(b) < gcmExplicit+h.aead.Overhead() {
		return nil, fmt.Errorf("%w: %d-byte protected record", ErrRecord, len(b))
	}
	var nonce [12]byte
	copy(nonce[:4], h.salt[:])
	copy(nonce[4:], b[:gcmExplicit])
	ct := b[gcmExplicit:]
	var aad [13]byte
	binary.BigEndian.PutUint64(aad[:], h.seq)
	aad[8], aad[9], aad[10] = typ, 3, 3
	binary.BigEndian.PutUint16(aad[11:], uint16(len(ct)-h.aead.Overhead()))
	p, err := h.aead.Open(ct[:0], nonce[:], ct, aad[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrRecord, err)
	}
	h.seq++
	return p, nil
}

// Read implements net.Conn.
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.plain) == 0 {
		if c.rerr != nil {
			return 0, c.rerr
		}
		typ, payload, err := c.readRecord()
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			return 0, err // nothing lost: the caller may read again
		case err != nil:
			c.rerr = err
		case typ == recordApplicationData:
			c.plain = payload
		case typ == recordHandshake:
			// A HelloRequest or anything else: renegotiation is not
			// supported, and nothing else may come after the handshake.
			c.rerr = fmt.Errorf("%w: handshake message after the handshake", ErrRecord)
		default:
			c.rerr = fmt.Errorf("%w: record type %d", ErrRecord, typ)
		}
	}
	n := copy(b, c.plain)
	c.plain = c.plain[n:]
	return n, nil
}

// Write implements net.Conn.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.werr != nil {
		return 0, c.werr
	}
	n := len(b)
	if err := c.writeRecord(recordApplicationData, b, true); err != nil {
		c.werr = err
		return 0, err
	}
	return n, nil
}

// Close sends close_notify, best effort, and closes the connection.
func (c *Conn) Close() error {
	if c.wmu.TryLock() {
		if c.werr == nil {
			c.conn.SetWriteDeadline(time.Now().Add(time.Second))
			c.writeRecord(recordAlert, []byte{1, 0}, false)
			c.werr = net.ErrClosed
		}
		c.wmu.Unlock()
	}
	return c.conn.Close()
}

// LocalAddr implements net.Conn.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr implements net.Conn.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline implements net.Conn.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline implements net.Conn.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }
