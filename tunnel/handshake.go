package tunnel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// handshake is what a client said between select and connect.
type handshake struct {
	selectArg string
	info      backends.ClientInfo
	values    [][]byte
}

// ServeGuacd runs guacd's handshake on c, then the session. It closes c
// before returning. Unlike guacd, every refusal gets an error instruction
// with a status and a log line saying why.
func (s *Server) ServeGuacd(ctx context.Context, c Conn) error {
	if !s.track(c) {
		s.fail(c, "draining", ErrDraining)
		return ErrDraining
	}
	defer s.untrack(c)
	s.metrics.handshakes.Inc()
	req, reason, err := s.handshake(c)
	if errors.Is(err, errForward) {
		return s.forward(c, req.JoinID)
	}
	if errors.Is(err, errTagAnswered) {
		_ = c.Close()
		return nil
	}
	if err != nil {
		s.fail(c, reason, err)
		return err
	}
	return s.serve(ctx, c, req)
}

// readHandshake reads one instruction within the handshake timeout.
func (s *Server) readHandshake(c Conn) (protocol.Instruction, string, error) {
	if err := c.SetReadDeadline(time.Now().Add(s.cfg.HandshakeTimeout)); err != nil {
		return protocol.Instruction{}, "io", err
	}
	ins, err := c.ReadInstruction()
	if err == nil {
		return ins, "", nil
	}
	var pe *protocol.ParseError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return ins, "timeout", &protocol.StatusError{Status: protocol.StatusClientTimeout, Message: "Handshake timed out.", Err: err}
	case errors.As(err, &pe):
		return ins, "malformed", &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Malformed instruction.", Err: err}
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ins, "eof", &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: "Handshake incomplete.", Err: err}
	}
	return ins, "io", err
}

func badRequest(format string, args ...any) error {
	return &protocol.StatusError{Status: protocol.StatusClientBadRequest, Message: fmt.Sprintf(format, args...)}
}

// handshake performs select → args → (size|audio|video|image|timezone|name)*
// → connect, validating everything before `ready` is sent.
func (s *Server) handshake(c Conn) (Request, string, error) {
	var req Request
	ins, reason, err := s.readHandshake(c)
	if err != nil {
		return req, reason, err
	}
	peer := false
	if isPeerHello(ins) {
		if s.cfg.Cluster == nil || !verifyPeerHello(ins, s.cfg.Cluster.Secret, time.Now()) {
			return req, "bad_peer", &protocol.StatusError{Status: protocol.StatusClientUnauthorized, Message: "Unauthorized peer."}
		}
		peer = true
		if ins, reason, err = s.readHandshake(c); err != nil {
			return req, reason, err
		}
		if isTagQuery(ins) {
			return req, "", s.answerTagQuery(c, ins)
		}
	}
	if !ins.Is("select") {
		return req, "expected_select", badRequest("Expected \"select\", got %q.", truncate(ins.Opcode))
	}
	if len(ins.Args) != 1 {
		return req, "bad_select", badRequest("\"select\" takes 1 argument, got %d.", len(ins.Args))
	}
	sel := string(ins.Args[0])
	var names []string
	if len(sel) > 0 && sel[0] == '$' {
		req.JoinID = sel
		s.mu.Lock()
		conn := s.conns[sel]
		s.mu.Unlock()
		cl := s.cfg.Cluster
		if conn == nil && cl != nil && !peer {
			if _, ok := cl.forwardTarget(sel); ok {
				if _, stream := c.(*StreamConn); stream {
					return req, "", errForward
				}
			}
		}
		if conn == nil {
			return req, "unknown_connection", &protocol.StatusError{Status: protocol.StatusResourceNotFound, Message: "No such connection."}
		}
		if cl != nil && cl.RequirePeerJoin && !peer {
			return req, "join_not_from_peer", &protocol.StatusError{Status: protocol.StatusClientForbidden, Message: "Joins are accepted from goguacd replicas only."}
		}
		names = conn.backend.Args()
	} else {
		b, ok := s.cfg.Backends.Lookup(sel)
		if !ok || backends.Internal(sel) {
			return req, "unknown_protocol", &protocol.StatusError{Status: protocol.StatusUnsupported, Message: fmt.Sprintf("Protocol %q is not supported.", truncate(ins.Args[0]))}
		}
		req.Protocol = sel
		names = b.Args()
	}
	if err := c.Write(protocol.AppendArgs(nil, protocol.Version150.String(), names)); err != nil {
		return req, "io", err
	}

	info := backends.ClientInfo{DPI: 96}
	for {
		ins, reason, err := s.readHandshake(c)
		if err != nil {
			return req, reason, err
		}
		switch {
		case ins.Is("size"):
			if len(ins.Args) < 2 {
				return req, "bad_size", badRequest("\"size\" takes 2 or 3 arguments, got %d.", len(ins.Args))
			}
			info.Width, _ = strconv.Atoi(string(ins.Args[0]))
			info.Height, _ = strconv.Atoi(string(ins.Args[1]))
			info.DPI = 96
			if len(ins.Args) > 2 {
				if d, err := strconv.Atoi(string(ins.Args[2])); err == nil && d > 0 {
					info.DPI = d
				}
			}
		case ins.Is("audio"):
			info.Audio = stringsOf(ins.Args)
		case ins.Is("video"):
			info.Video = stringsOf(ins.Args)
		case ins.Is("image"):
			info.Image = stringsOf(ins.Args)
		case ins.Is("timezone"):
			if len(ins.Args) > 0 {
				info.Timezone = string(ins.Args[0])
			}
		case ins.Is("name"):
			if len(ins.Args) > 0 {
				info.Name = string(ins.Args[0])
			}
		case ins.Is("connect"):
			params, version, err := connectParams(names, ins.Args)
			if err != nil {
				return req, "bad_connect", err
			}
			info.Version = version
			req.Info = info
			req.Params = params
			return req, "", nil
		default:
			// guacd ignores unknown opcodes during the handshake; so do we.
			s.logger.Debug("ignoring instruction during handshake", "opcode", truncate(ins.Opcode), "remote", c.RemoteAddr())
		}
	}
}

// connectParams maps connect's values to parameter names by position. The
// first value is the protocol version; clients of protocol 1.0.0 may leave it
// out entirely.
func connectParams(names []string, args [][]byte) (backends.Params, protocol.Version, error) {
	version := protocol.Version100
	switch {
	case len(args) == len(names)+1:
		version = protocol.ParseVersion(args[0])
		if version == protocol.VersionUnknown && len(args[0]) > 0 {
			return nil, version, badRequest("Unknown protocol version %q.", truncate(args[0]))
		}
		args = args[1:]
	case len(args) == len(names) && (len(args) == 0 || !bytes.HasPrefix(args[0], []byte("VERSION_"))):
	default:
		return nil, version, badRequest("\"connect\" needs %d values, got %d.", len(names)+1, len(args))
	}
	params := make(backends.Params, len(names))
	for i, n := range names {
		if len(args[i]) > 0 {
			params[n] = string(args[i])
		}
	}
	return params, version, nil
}

func stringsOf(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// truncate shortens client-supplied text for messages and logs.
func truncate(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "…"
	}
	return string(b)
}

// errForward says the join belongs to another replica.
var errForward = errors.New("tunnel: join forwarded to the owning replica")

// forward hands a guacd-protocol client whose `select` names another
// replica's connection over to that replica, byte for byte.
func (s *Server) forward(c Conn, joinID string) error {
	sc := c.(*StreamConn)
	owner, _ := s.cfg.Cluster.forwardTarget(joinID)
	s.logger.Info("forwarding join to the owning replica", "connection", joinID, "owner", owner.String(), "remote", c.RemoteAddr())
	s.metrics.forwarded.Inc()
	if err := s.cfg.Cluster.splice(sc.NetConn(), owner, sc.Raw(), sc.Reader().Unread()); err != nil {
		s.fail(c, "forward_failed", &protocol.StatusError{Status: protocol.StatusUpstreamUnavailable, Message: "The replica serving this connection is unreachable.", Err: err})
		return err
	}
	return nil
}
