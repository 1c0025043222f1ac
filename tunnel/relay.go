package tunnel

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// tagOp is the internal instruction a replica sends after its hello to ask
// the owner for a connection's tag: 0.,3.tag,$id; answered 0.,3.tag,<tag>;
// or an error.
const tagOp = "tag"

func isTagQuery(ins protocol.Instruction) bool {
	return len(ins.Opcode) == 0 && len(ins.Args) == 2 && string(ins.Args[0]) == tagOp
}

// errTagAnswered ends a peer connection that only asked for a tag.
var errTagAnswered = errors.New("tunnel: tag query answered")

func (s *Server) answerTagQuery(c Conn, ins protocol.Instruction) error {
	s.mu.Lock()
	conn := s.conns[string(ins.Args[1])]
	s.mu.Unlock()
	if conn == nil {
		_ = c.Write(protocol.AppendError(nil, "No such connection.", protocol.StatusResourceNotFound))
		return errTagAnswered
	}
	_ = c.Write(protocol.AppendInstruction(nil, "", tagOp, conn.tag))
	return errTagAnswered
}

// ConnectionTag returns the Tag a connection was opened with, asking the
// owning replica when the connection lives elsewhere in the cluster. ok is
// false when no such connection exists.
func (s *Server) ConnectionTag(ctx context.Context, id string) (tag string, ok bool, err error) {
	s.mu.Lock()
	conn := s.conns[id]
	s.mu.Unlock()
	if conn != nil {
		return conn.tag, true, nil
	}
	cl := s.cfg.Cluster
	if cl == nil {
		return "", false, nil
	}
	owner, known := cl.forwardTarget(id)
	if !known {
		return "", false, nil
	}
	nc, err := cl.dialOwner(owner)
	if err != nil {
		return "", false, err
	}
	defer nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	_ = nc.SetDeadline(deadline)
	if _, err := nc.Write(protocol.AppendInstruction(nil, "", tagOp, id)); err != nil {
		return "", false, fmt.Errorf("tunnel: ask %s for %s: %w", owner, id, err)
	}
	ins, err := protocol.NewReader(nc).ReadInstruction()
	switch {
	case err != nil:
		return "", false, fmt.Errorf("tunnel: ask %s for %s: %w", owner, id, err)
	case ins.Is("error"):
		return "", false, nil
	case isTagQuery(ins):
		return string(ins.Args[1]), true, nil
	}
	return "", false, fmt.Errorf("tunnel: ask %s for %s: unexpected %q", owner, id, ins.Opcode)
}

// relayJoin serves a user who joins another replica's connection through a
// transport that does not speak guacd's handshake (the web tunnel): it
// performs the handshake with the owner on the user's behalf, then relays
// instructions both ways.
func (s *Server) relayJoin(ctx context.Context, c Conn, req Request, owner netip.AddrPort) error {
	fail := func(reason string, err error) error {
		var se *protocol.StatusError
		if !errors.As(err, &se) {
			err = &protocol.StatusError{Status: protocol.StatusUpstreamUnavailable, Message: "The replica serving this connection is unreachable.", Err: err}
		}
		s.fail(c, reason, err)
		return err
	}
	up, err := s.cfg.Cluster.dialOwner(owner)
	if err != nil {
		return fail("forward_failed", err)
	}
	defer up.Close()
	_ = up.SetDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	r := protocol.NewReader(up)
	if _, err := up.Write(protocol.AppendInstruction(nil, "select", req.JoinID)); err != nil {
		return fail("forward_failed", err)
	}
	args, err := r.ReadInstruction()
	if err != nil || !args.Is("args") || len(args.Args) == 0 {
		if err == nil && args.Is("error") {
			return fail("forward_refused", upstreamStatus(args))
		}
		return fail("forward_failed", fmt.Errorf("tunnel: owner %s: no args: %v", owner, err))
	}
	info := req.Info
	msg := protocol.AppendInstruction(nil, "size", fmt.Sprint(info.Width), fmt.Sprint(info.Height), fmt.Sprint(max(info.DPI, 96)))
	msg = protocol.AppendInstruction(msg, "audio", info.Audio...)
	msg = protocol.AppendInstruction(msg, "video", info.Video...)
	msg = protocol.AppendInstruction(msg, "image", info.Image...)
	if info.Timezone != "" {
		msg = protocol.AppendInstruction(msg, "timezone", info.Timezone)
	}
	msg = protocol.AppendInstruction(msg, "name", info.Name)
	vals := []string{protocol.Version150.String()}
	for _, n := range args.Args[1:] {
		vals = append(vals, req.Params[string(n)])
	}
	msg = protocol.AppendInstruction(msg, "connect", vals...)
	if _, err := up.Write(msg); err != nil {
		return fail("forward_failed", err)
	}
	ready, err := r.ReadInstruction()
	if err != nil || !ready.Is("ready") {
		if err == nil && ready.Is("error") {
			return fail("forward_refused", upstreamStatus(ready))
		}
		return fail("forward_failed", fmt.Errorf("tunnel: owner %s: no ready: %v", owner, err))
	}
	_ = up.SetDeadline(time.Time{})
	s.metrics.forwarded.Inc()
	s.logger.Info("join relayed to the owning replica", "connection", req.JoinID, "owner", owner.String(), "remote", c.RemoteAddr())
	if req.Ready != nil {
		req.Ready(req.JoinID)
	} else if err := c.Write(protocol.AppendReady(nil, req.JoinID)); err != nil {
		return nil
	}

	// Owner → user: whole instructions, batched while more are buffered.
	var wg sync.WaitGroup
	wg.Go(func() {
		defer c.Close()
		var batch []byte
		for {
			ins, err := r.ReadInstruction()
			if err != nil {
				return
			}
			batch = append(batch, r.Raw()...)
			if r.Buffered() == 0 || len(batch) > 64<<10 || ins.Is("sync") {
				if c.Write(batch) != nil {
					return
				}
				batch = batch[:0]
			}
		}
	})
	// User → owner; internal instructions stay in the transport.
	var out []byte
	for {
		ins, err := c.ReadInstruction()
		if err != nil {
			break
		}
		if len(ins.Opcode) == 0 {
			continue
		}
		out = protocol.AppendInstructionBytes(out[:0], ins)
		if _, err := up.Write(out); err != nil {
			break
		}
		if ins.Is("disconnect") {
			break
		}
	}
	up.Close()
	wg.Wait()
	return nil
}

// upstreamStatus turns an owner's error instruction into a StatusError.
func upstreamStatus(ins protocol.Instruction) error {
	st, ok := protocol.ParseStatus(ins.Arg(1))
	if !ok {
		st = protocol.StatusUpstreamError
	}
	return &protocol.StatusError{Status: st, Message: strings.TrimSpace(string(ins.Arg(0)))}
}
