package tunnel

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// Cluster lets several goguacd replicas serve one set of users: a
// connection lives on the replica that opened it (its owner), and a user
// who asks another replica to join it is forwarded to the owner. The owner
// is found from the connection id itself, which embeds the owner's guacd
// address; replicas prove themselves to each other with an HMAC over a
// shared secret.
type Cluster struct {
	// Self is this replica's guacd listener as peers reach it (IPv4).
	Self netip.AddrPort
	// Peers lists the replicas' guacd addresses (static configuration or
	// the Kubernetes endpoints of the Service); it is called per forward.
	Peers func() []netip.AddrPort
	// Secret authenticates replica-to-replica traffic.
	Secret []byte
	// RequirePeerJoin refuses joins by connection id on the guacd listener
	// unless they come from a replica (set when no other guacd client, such
	// as the Java web app, joins connections directly).
	RequirePeerJoin bool
	// DialTimeout bounds connecting to the owner; default 5 s.
	DialTimeout time.Duration
}

// peerHelloOp is the internal (empty-opcode) instruction a forwarding
// replica sends before `select`: 0.,4.peer,<unix seconds>,<hex HMAC>;
const peerHelloOp = "peer"

// peerHelloMaxSkew bounds the clock difference accepted in a hello.
const peerHelloMaxSkew = time.Minute

// peerMAC is the HMAC-SHA256 of the hello's timestamp.
func peerMAC(secret []byte, ts string) string {
	m := hmac.New(sha256.New, secret)
	io.WriteString(m, "goguacd-peer|"+ts)
	return hex.EncodeToString(m.Sum(nil))
}

// appendPeerHello appends the hello a forwarding replica sends first.
func appendPeerHello(dst, secret []byte, now time.Time) []byte {
	ts := strconv.FormatInt(now.Unix(), 10)
	return protocol.AppendInstruction(dst, "", peerHelloOp, ts, peerMAC(secret, ts))
}

// isPeerHello reports whether ins is a peer hello (valid or not).
func isPeerHello(ins protocol.Instruction) bool {
	return len(ins.Opcode) == 0 && len(ins.Args) == 3 && string(ins.Args[0]) == peerHelloOp
}

// verifyPeerHello checks a hello's timestamp and MAC.
func verifyPeerHello(ins protocol.Instruction, secret []byte, now time.Time) bool {
	ts, err := strconv.ParseInt(string(ins.Args[1]), 10, 64)
	if err != nil || len(secret) == 0 {
		return false
	}
	if d := now.Sub(time.Unix(ts, 0)); d > peerHelloMaxSkew || d < -peerHelloMaxSkew {
		return false
	}
	return hmac.Equal([]byte(peerMAC(secret, string(ins.Args[1]))), ins.Args[2])
}

// embedOwner writes an IPv4 guacd address into the first six bytes of a
// connection id's 16 random bytes (the UUID's version and variant bits,
// in bytes 6 and 8, stay as they are).
func embedOwner(b *[16]byte, owner netip.AddrPort) {
	if !owner.Addr().Is4() {
		return
	}
	a := owner.Addr().As4()
	copy(b[0:4], a[:])
	binary.BigEndian.PutUint16(b[4:6], owner.Port())
}

// ownerOf decodes the owner a connection id names, for ids made by
// embedOwner ("$" + UUID).
func ownerOf(id string) (netip.AddrPort, bool) {
	if len(id) != 37 || id[0] != '$' {
		return netip.AddrPort{}, false
	}
	var b [6]byte
	if _, err := hex.Decode(b[0:4], []byte(id[1:9])); err != nil {
		return netip.AddrPort{}, false
	}
	if _, err := hex.Decode(b[4:6], []byte(id[10:14])); err != nil {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[0:4])), binary.BigEndian.Uint16(b[4:6])), true
}

// forwardTarget returns the replica that owns joinID, if it is a peer other
// than this one.
func (c *Cluster) forwardTarget(joinID string) (netip.AddrPort, bool) {
	owner, ok := ownerOf(joinID)
	if !ok || owner == c.Self || c.Peers == nil {
		return netip.AddrPort{}, false
	}
	for _, p := range c.Peers() {
		if p == owner {
			return owner, true
		}
	}
	return netip.AddrPort{}, false
}

// errNotForwardable is returned when a join cannot be handed to its owner.
var errNotForwardable = errors.New("tunnel: connection not owned by a known replica")

// dialOwner connects to the owner and says hello.
func (c *Cluster) dialOwner(owner netip.AddrPort) (net.Conn, error) {
	d := c.DialTimeout
	if d <= 0 {
		d = 5 * time.Second
	}
	nc, err := net.DialTimeout("tcp", owner.String(), d)
	if err != nil {
		return nil, fmt.Errorf("tunnel: forward to %s: %w", owner, err)
	}
	if _, err := nc.Write(appendPeerHello(nil, c.Secret, time.Now())); err != nil {
		nc.Close()
		return nil, fmt.Errorf("tunnel: forward to %s: %w", owner, err)
	}
	return nc, nil
}

// splice forwards a guacd-protocol client, whose `select` (raw) and any
// bytes read past it (unread) were already consumed, to the owner, and
// copies bytes both ways until either side closes.
func (c *Cluster) splice(client net.Conn, owner netip.AddrPort, raw, unread []byte) error {
	up, err := c.dialOwner(owner)
	if err != nil {
		return err
	}
	first := append(append([]byte(nil), raw...), unread...)
	if _, err := up.Write(first); err != nil {
		up.Close()
		return fmt.Errorf("tunnel: forward to %s: %w", owner, err)
	}
	_ = client.SetReadDeadline(time.Time{})
	var wg sync.WaitGroup
	wg.Go(func() {
		_, _ = io.Copy(up, client)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	})
	_, _ = io.Copy(client, up)
	client.Close()
	up.Close()
	wg.Wait()
	return nil
}
