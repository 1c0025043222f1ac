package passthrough

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// dial connects to guacd at addr and performs u's handshake there, selecting
// sel (a protocol, or "$id" to join). It returns with the connection ready
// to relay, or a *protocol.StatusError.
func (b *Backend) dial(ctx context.Context, addr, sel string, u backends.User) (*upstream, error) {
	ctx, cancel := context.WithTimeout(ctx, b.cfg.DialTimeout)
	defer cancel()
	d := net.Dialer{}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, dialError(addr, err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	if b.cfg.TLS != nil {
		cfg := b.cfg.TLS
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = nc.Close()
			return nil, dialError(addr, err)
		}
		nc = tc
	}
	// The handshake obeys both the deadline and cancellation of ctx.
	deadline, _ := ctx.Deadline()
	_ = nc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	up := newUpstream(nc)
	err = handshake(up, sel, u.Info(), u.Params())
	if !stop() || err != nil {
		_ = nc.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, handshakeError(addr, err)
	}
	_ = nc.SetDeadline(time.Time{})
	return up, nil
}

// handshake plays guacamole-client's side of guacd's handshake (select,
// args, size, audio, video, image, timezone, name, connect, ready).
func handshake(up *upstream, sel string, info backends.ClientInfo, params backends.Params) error {
	if err := up.write(protocol.AppendSelect(nil, sel)); err != nil {
		return err
	}
	args, err := expect(up, "args")
	if err != nil {
		return err
	}
	version, values := connectValues(args, info.Version, params)
	up.version = version

	var out []byte
	out = appendSize(out, info)
	out = protocol.AppendInstruction(out, "audio", info.Audio...)
	out = protocol.AppendInstruction(out, "video", info.Video...)
	out = protocol.AppendInstruction(out, "image", info.Image...)
	if version >= protocol.Version110 && info.Timezone != "" {
		out = protocol.AppendInstruction(out, "timezone", info.Timezone)
	}
	if version >= protocol.Version150 && info.Name != "" {
		out = protocol.AppendName(out, info.Name)
	}
	out = protocol.AppendInstruction(out, "connect", values...)
	if err := up.write(out); err != nil {
		return err
	}

	ready, err := expect(up, "ready")
	if err != nil {
		return err
	}
	if len(ready) == 0 || len(ready[0]) == 0 {
		return errors.New("passthrough: guacd sent no connection ID")
	}
	up.id = string(ready[0])
	return nil
}

func appendSize(dst []byte, info backends.ClientInfo) []byte {
	dpi := info.DPI
	if dpi <= 0 {
		dpi = 96
	}
	return protocol.AppendInstruction(dst, "size", strconv.Itoa(info.Width), strconv.Itoa(info.Height), strconv.Itoa(dpi))
}

// expect reads the next instruction, which must be op. guacd's `error`
// becomes a *protocol.StatusError carrying guacd's status and message.
func expect(up *upstream, op string) ([][]byte, error) {
	ins, err := up.readInstruction()
	if err != nil {
		return nil, err
	}
	switch {
	case ins.Is(op):
		return ins.Args, nil
	case ins.Is("error"):
		return nil, statusFromError(ins)
	case ins.Is("disconnect"):
		return nil, &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "guacd closed the connection."}
	}
	return nil, fmt.Errorf("passthrough: expected %q from guacd, got %q", op, truncate(ins.Opcode))
}

// connectValues builds connect's values for the args guacd sent: the
// version element answered with min(guacd's, the user's) when guacd sent
// one, then one value per name, looked up by name (guacamole-client's rule,
// so any list guacd announces works). Withheld names get "" (guacd's
// default).
func connectValues(args [][]byte, userVersion protocol.Version, params backends.Params) (protocol.Version, []string) {
	version := protocol.Version100
	var values []string
	if len(args) > 0 && bytes.HasPrefix(args[0], []byte("VERSION_")) {
		upstream := protocol.ParseVersion(args[0])
		if upstream == protocol.VersionUnknown {
			// A newer guacd: speak the newest version we know.
			upstream = protocol.VersionLatest
		}
		version = min(upstream, max(userVersion, protocol.Version100))
		values = make([]string, 0, len(args))
		values = append(values, version.String())
		args = args[1:]
	} else {
		values = make([]string, 0, len(args))
	}
	for _, name := range args {
		n := string(name)
		if withheld[n] {
			values = append(values, "")
			continue
		}
		values = append(values, params[n])
	}
	return version, values
}

// statusFromError converts guacd's error,message,status.
func statusFromError(ins protocol.Instruction) *protocol.StatusError {
	st, ok := protocol.ParseStatus(ins.Arg(1))
	if !ok || st == protocol.StatusSuccess {
		st = protocol.StatusUpstreamError
	}
	msg := string(ins.Arg(0))
	if msg == "" {
		msg = "guacd reported an error."
	}
	return &protocol.StatusError{Status: st, Message: msg}
}

func dialError(addr string, err error) error {
	st, msg := protocol.StatusUpstreamUnavailable, "guacd is unreachable."
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		st, msg = protocol.StatusUpstreamTimeout, "guacd did not answer in time."
	}
	return &protocol.StatusError{Status: st, Message: msg, Err: fmt.Errorf("passthrough: dial %s: %w", addr, err)}
}

func handshakeError(addr string, err error) error {
	var se *protocol.StatusError
	if errors.As(err, &se) {
		return se
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return &protocol.StatusError{Status: protocol.StatusUpstreamTimeout, Message: "guacd handshake timed out.",
			Err: fmt.Errorf("passthrough: handshake with %s: %w", addr, err)}
	}
	return &protocol.StatusError{Status: protocol.StatusUpstreamError, Message: "guacd handshake failed.",
		Err: fmt.Errorf("passthrough: handshake with %s: %w", addr, err)}
}

func truncate(b []byte) string {
	if len(b) > 32 {
		return string(b[:32]) + "…"
	}
	return string(b)
}
