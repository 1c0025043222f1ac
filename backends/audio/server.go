package audio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
)

// pulsePort is PulseAudio's native protocol TCP port.
const pulsePort = "4713"

// endpoint is one entry of a PulseAudio server string.
type endpoint struct {
	machine string // "{…}" prefix: only this host may use the entry
	network string // unix, tcp, tcp4 or tcp6
	addr    string // socket path or host:port
}

func (e endpoint) String() string { return e.network + ":" + e.addr }

// local reports whether this machine may use e.
func (e endpoint) local() bool {
	if e.machine == "" {
		return true
	}
	if h, err := os.Hostname(); err == nil && h == e.machine {
		return true
	}
	id, err := os.ReadFile("/etc/machine-id")
	return err == nil && strings.TrimSpace(string(id)) == e.machine
}

var errBadServer = errors.New("not a PulseAudio server string")

// parseServer splits a PulseAudio server string into endpoints, with
// libpulse's rules: entries separated by spaces, tried in order; an
// optional "{machine}" prefix; "unix:PATH" or an absolute path; "tcp:",
// "tcp4:", "tcp6:" or a bare host name, with port 4713 unless given.
func parseServer(s string) ([]endpoint, error) {
	var eps []endpoint
	for _, entry := range strings.Fields(s) {
		var ep endpoint
		if strings.HasPrefix(entry, "{") {
			end := strings.IndexByte(entry, '}')
			if end < 0 {
				return nil, fmt.Errorf("audio: %q: unterminated {: %w", entry, errBadServer)
			}
			ep.machine, entry = entry[1:end], entry[end+1:]
		}
		switch {
		case entry == "":
			continue
		case strings.HasPrefix(entry, "/"):
			ep.network, ep.addr = "unix", entry
		case strings.HasPrefix(entry, "unix:"):
			ep.network, ep.addr = "unix", entry[len("unix:"):]
		default:
			ep.network = "tcp"
			for _, n := range []string{"tcp4", "tcp6", "tcp"} {
				if rest, ok := strings.CutPrefix(entry, n+":"); ok {
					ep.network, entry = n, rest
					break
				}
			}
			host, port, err := net.SplitHostPort(entry)
			if err != nil {
				host, port = entry, pulsePort
				if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
					host = host[1 : len(host)-1]
				}
			}
			if host == "" || port == "" || strings.ContainsAny(host, "[]") {
				return nil, fmt.Errorf("audio: %q: %w", entry, errBadServer)
			}
			ep.addr = net.JoinHostPort(host, port)
		}
		if ep.addr == "" {
			return nil, fmt.Errorf("audio: %q: empty socket path: %w", entry, errBadServer)
		}
		eps = append(eps, ep)
	}
	if len(eps) == 0 {
		return nil, fmt.Errorf("audio: %q: %w", s, errBadServer)
	}
	return eps, nil
}

// Native protocol frames: a 20-byte header whose first field is the
// payload length. PulseAudio itself refuses frames over 16 MiB.
const (
	frameHeader = 20
	maxFrame    = 16 << 20
)

var errFrameTooLarge = errors.New("audio: PulseAudio frame too large (not a PulseAudio server?)")

// frameGuard checks frame lengths before the protocol library sees them:
// the library allocates whatever a header announces, so a wrong service on
// the other end (an HTTP server's "HTTP" reads as 1.2 GB) would exhaust
// memory.
type frameGuard struct {
	net.Conn
	left    int // bytes of the current frame not yet passed on
	hdr     [frameHeader]byte
	pending []byte // header bytes not yet passed on
}

func (g *frameGuard) Read(p []byte) (int, error) {
	if g.left == 0 {
		if _, err := io.ReadFull(g.Conn, g.hdr[:]); err != nil {
			if err == io.ErrUnexpectedEOF {
				err = io.EOF // a hang-up is a hang-up, wherever it falls
			}
			return 0, err
		}
		n := binary.BigEndian.Uint32(g.hdr[:4])
		if n > maxFrame {
			return 0, errFrameTooLarge
		}
		g.left, g.pending = frameHeader+int(n), g.hdr[:]
	}
	if len(g.pending) > 0 {
		n := copy(p, g.pending)
		g.pending = g.pending[n:]
		g.left -= n
		return n, nil
	}
	n, err := g.Conn.Read(p[:min(len(p), g.left)])
	g.left -= n
	return n, err
}
