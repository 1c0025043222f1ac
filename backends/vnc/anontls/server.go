package anontls

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"math/big"
	"net"
)

// Group is a finite-field Diffie-Hellman group a Server offers.
type Group struct {
	P, G *big.Int
}

// NewGroup returns a group with a random prime of bits bits and generator
// 2, for test and demo servers: generating a safe prime takes far longer,
// and what a client checks (size, ranges) does not depend on it.
func NewGroup(bits int) (Group, error) {
	p, err := rand.Prime(rand.Reader, bits)
	if err != nil {
		return Group{}, err
	}
	return Group{P: p, G: big.NewInt(2)}, nil
}

// Server runs the server side of the handshake on conn with group g. It
// exists for the test and demo VNC servers; goguacd itself is only ever a
// client.
func Server(conn net.Conn, g Group) (*Conn, error) {
	c := &Conn{conn: conn, transcript: sha256.New()}
	if err := c.serverHandshake(g); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Conn) serverHandshake(g Group) error {
	typ, body, err := c.readHandshake()
	if err != nil {
		return err
	}
	if typ != msgClientHello {
		return fmt.Errorf("%w: message %d instead of ClientHello", ErrHandshake, typ)
	}
	clientRandom, err := parseClientHello(body)
	if err != nil {
		return err
	}
	var serverRandom [32]byte
	if _, err := rand.Read(serverRandom[:]); err != nil {
		return err
	}
	hello := []byte{3, 3}
	hello = append(hello, serverRandom[:]...)
	hello = append(hello, 0, 0x00, 0xa6, 0)
	if err := c.writeHandshake(msgServerHello, hello); err != nil {
		return err
	}
	y, err := dhPrivate(g.P)
	if err != nil {
		return err
	}
	ys := new(big.Int).Exp(g.G, y, g.P)
	ske := appendVector16(nil, g.P.Bytes())
	ske = appendVector16(ske, g.G.Bytes())
	ske = appendVector16(ske, ys.Bytes())
	if err := c.writeHandshake(msgServerKeyExchange, ske); err != nil {
		return err
	}
	if err := c.writeHandshake(msgServerHelloDone, nil); err != nil {
		return err
	}
	if typ, body, err = c.readHandshake(); err != nil {
		return err
	}
	yc, rest, ok := readVector16(body)
	if typ != msgClientKeyExchange || !ok || len(rest) != 0 {
		return fmt.Errorf("%w: expected ClientKeyExchange", ErrHandshake)
	}
	ycInt := new(big.Int).SetBytes(yc)
	if ycInt.Cmp(big.NewInt(1)) <= 0 || ycInt.Cmp(new(big.Int).Sub(g.P, big.NewInt(1))) >= 0 {
		return fmt.Errorf("%w: Diffie-Hellman value out of range", ErrHandshake)
	}
	z := new(big.Int).Exp(ycInt, y, g.P)
	master := masterSecret(z.Bytes(), clientRandom, serverRandom[:])
	c.setKeys(master, clientRandom, serverRandom[:], false)
	return c.finish(master, "server finished", "client finished", false)
}

// parseClientHello returns the client random if the client offers TLS 1.2
// and our cipher suite.
func parseClientHello(b []byte) ([]byte, error) {
	bad := fmt.Errorf("%w: malformed ClientHello", ErrHandshake)
	if len(b) < 2+32+1 {
		return nil, bad
	}
	if b[0] != 3 || b[1] < 3 {
		return nil, fmt.Errorf("%w: client offers TLS %d.%d", ErrHandshake, b[0], b[1])
	}
	random := b[2:34]
	b = b[34:]
	n := int(b[0])
	if len(b) < 1+n {
		return nil, bad
	}
	suites, _, ok := readVector16(b[1+n:])
	if !ok {
		return nil, bad
	}
	for i := 0; i+1 < len(suites); i += 2 {
		if int(suites[i])<<8|int(suites[i+1]) == suiteDHAnonAES128GCM {
			return random, nil
		}
	}
	return nil, fmt.Errorf("%w: client does not offer DH_anon_WITH_AES_128_GCM_SHA256", ErrHandshake)
}
