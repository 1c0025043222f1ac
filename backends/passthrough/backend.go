// Package passthrough relays connections to an upstream Apache guacd, for
// protocols goguacd does not implement itself (rdp, telnet, kubernetes) and
// for catalog connections that name a guacd proxy (proxy_hostname and
// proxy_port in Guacamole's database).
//
// The owner's handshake is replayed upstream the way guacamole-client does
// it: version min(guacd's, the owner's), values filled by name from the list
// guacd sends. guacd's output is then broadcast through the Display, cut at
// instruction boundaries, so the recording and every attached user get it.
// Each joiner gets its own upstream connection that joins guacd's connection
// ("select $id"), relayed to that user alone, so guacd itself replays the
// joiner's initial state and keeps per-user state (cursor, streams,
// read-only) as it would for a direct client.
//
// sync handling: users' sync acknowledgements stop at goguacd's core, and
// the core checks them against its own clock. So every upstream sync is
// acknowledged upstream at once (guacd sees the lag of the goguacd hop only;
// slow browsers are handled by the core's per-user coalescing instead) and
// replaced, toward users, by a sync carrying goguacd's timestamp.
package passthrough

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"time"

	"github.com/goguacd/goguacd/backends"
)

// DefaultAddress is where guacd listens by default.
const DefaultAddress = "127.0.0.1:4822"

// Owner parameters that override Config.Address for one connection; the web
// layer sets them from the catalog's proxy_hostname and proxy_port.
const (
	ParamProxyHostname = backends.ParamProxyHostname
	ParamProxyPort     = backends.ParamProxyPort
)

// defaultDialTimeout bounds connecting to guacd and its handshake, as
// guacd's own 15 s handshake timeout would otherwise.
const defaultDialTimeout = 15 * time.Second

// Config configures a Backend.
type Config struct {
	// Address is the upstream guacd, host:port; default DefaultAddress.
	Address string
	// Protocol is what is selected upstream, e.g. "rdp".
	Protocol string
	// Args are the parameter names goguacd announces for this protocol. Nil
	// means RDPArgs, TelnetArgs or KubernetesArgs by Protocol.
	Args []string
	// DialTimeout bounds the TCP (and TLS) connect plus the upstream
	// handshake; default 15 s.
	DialTimeout time.Duration
	// TLS, when set, wraps upstream connections (guacd started with -C/-K).
	TLS    *tls.Config
	Logger *slog.Logger
}

// Backend is a backends.Backend that relays to guacd.
type Backend struct {
	cfg  Config
	args []string
	// clockBase is the zero of the sync timestamps joiners are sent. It is
	// taken in New, after package initialisation, so it is never earlier
	// than the core's own clock base and these timestamps never run ahead
	// of the clock the core checks acknowledgements against.
	clockBase time.Time
}

var _ backends.Backend = (*Backend)(nil)

// New returns a Backend for cfg.
func New(cfg Config) (*Backend, error) {
	if cfg.Protocol == "" || cfg.Protocol[0] == '$' {
		return nil, errors.New("passthrough: Config.Protocol must name a guacd protocol")
	}
	if cfg.Address == "" {
		cfg.Address = DefaultAddress
	}
	if _, _, err := net.SplitHostPort(cfg.Address); err != nil {
		return nil, errors.New("passthrough: Config.Address: " + err.Error())
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = defaultDialTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	args := cfg.Args
	if args == nil {
		var ok bool
		if args, ok = knownArgs[cfg.Protocol]; !ok {
			return nil, errors.New("passthrough: no parameter list known for protocol " + cfg.Protocol + "; set Config.Args")
		}
	}
	// The proxy parameters must never be client-settable.
	args = slices.DeleteFunc(slices.Clone(args), func(n string) bool {
		return n == ParamProxyHostname || n == ParamProxyPort
	})
	return &Backend{cfg: cfg, args: args, clockBase: time.Now()}, nil
}

// Args implements backends.Backend.
func (b *Backend) Args() []string { return b.args }

// address picks the upstream for a connection: the catalog's proxy
// parameters when present, else the configured address.
func (b *Backend) address(p backends.Params) string {
	host, port, _ := net.SplitHostPort(b.cfg.Address)
	return net.JoinHostPort(p.String(ParamProxyHostname, host), p.String(ParamProxyPort, port))
}

// Open implements backends.Backend: it connects upstream and completes the
// owner's handshake there. Output starts flowing once the owner joins.
func (b *Backend) Open(ctx context.Context, owner backends.User, d backends.Display) (backends.Session, error) {
	addr := b.address(owner.Params())
	up, err := b.dial(ctx, addr, b.cfg.Protocol, owner)
	if err != nil {
		return nil, err
	}
	s := newSession(b, d, addr, up)
	d.Logger().Info("connected to upstream guacd", "addr", addr, "protocol", b.cfg.Protocol,
		"upstream_id", up.id, "version", up.version.String())
	return s, nil
}

// millis is the sync timestamp for joiners' streams.
func (b *Backend) millis() int64 { return time.Since(b.clockBase).Milliseconds() }
