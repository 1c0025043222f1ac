// Package backends defines what a remote-desktop protocol implementation
// (VNC, SSH, passthrough to guacd, …) must provide to goguacd, and the
// registry that maps protocol names to implementations.
//
// Flow: the tunnel core completes the handshake with the first user (the
// owner), calls Backend.Open, then Session.Join for the owner and for every
// user who joins later. Users' input reaches Session.Input; the backend draws
// through the Display, which broadcasts to every attached user and to the
// session recording.
package backends

import (
	"context"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// ClientInfo is what a user told us during the handshake.
type ClientInfo struct {
	Width, Height, DPI int
	Audio, Video       []string // mimetypes
	Image              []string // mimetypes, e.g. image/png, image/jpeg, image/webp
	Timezone           string
	Name               string
	Version            protocol.Version
}

// Accepts reports whether the user listed mimetype in its image mimetypes.
func (ci ClientInfo) Accepts(mimetype string) bool {
	for _, m := range ci.Image {
		if m == mimetype {
			return true
		}
	}
	return false
}

// Params are connection parameters by guacd name. A missing or empty value
// means "use the default", as in guacd.
type Params map[string]string

// String returns the value of name, or def when unset or empty.
func (p Params) String(name, def string) string {
	if v := p[name]; v != "" {
		return v
	}
	return def
}

// Bool returns true for "true", false for "false", and def otherwise (guacd
// accepts exactly these two words).
func (p Params) Bool(name string, def bool) bool {
	switch p[name] {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}

// Int returns the decimal value of name, or def when unset or not a number.
func (p Params) Int(name string, def int) int {
	if v, err := strconv.Atoi(p[name]); err == nil {
		return v
	}
	return def
}

// User is one person attached to a connection.
type User interface {
	ID() string // "@" + UUID
	Owner() bool
	ReadOnly() bool
	Info() ClientInfo
	Params() Params // this user's own connect values
	Username() string
	// Write queues complete instructions for this user only. It never blocks
	// on the network.
	Write(p []byte)
	// Attach makes the user receive broadcast output from now on. Session.Join
	// must call it right after writing the user's initial state, under the
	// same lock that serialises the backend's Display writes, so no broadcast
	// is lost or duplicated between the two. A backend that feeds a user its
	// own stream instead (passthrough joiners) never calls it.
	Attach()
	// Lag is how far this user's display trails what was sent, measured from
	// its sync acknowledgements.
	Lag() time.Duration
}

// Display is how a backend draws and ends the session.
type Display interface {
	// Write broadcasts complete instructions to every attached user and to the
	// recording. p may be reused by the caller after Write returns.
	Write(p []byte)
	// WriteFrame is Write for a frame buffer that the display may take
	// over instead of copying it for every user: it returns b emptied when
	// it copied b, and nil when it took it (the caller must not touch b
	// again; it goes back to protocol's free list once every user wrote
	// it). Big buffers are taken, small ones copied.
	WriteFrame(b []byte) []byte
	// EndFrame broadcasts sync with a monotonic timestamp, ending one frame
	// made of frames logical frames.
	EndFrame(frames int)
	// Lag is the largest lag among attached users. Backends pace by it, but a
	// lagging user never blocks Write: its output is coalesced.
	Lag() time.Duration
	// Close ends the connection for every user. err nil means a normal end;
	// a *protocol.StatusError carries the status users are shown.
	Close(err error)
	Logger() *slog.Logger
}

// Session is one running backend connection, shared by its users.
type Session interface {
	// Join sends u the complete current state (size, screen, cursor…), then
	// calls u.Attach. It is called for the owner right after Open, for every
	// user who joins, and again for a user whose output had to be coalesced.
	Join(u User) error
	// Leave is called once when u goes.
	Leave(u User)
	// Input delivers one instruction from u. Read-only users' input has been
	// filtered out already. ins is only valid during the call.
	Input(u User, ins protocol.Instruction) error
	// Close stops the backend and releases everything; it is called once.
	Close() error
}

// Backend is a protocol implementation.
type Backend interface {
	// Args lists the parameter names in the order guacd sends them in `args`
	// (without the version element).
	Args() []string
	// Open connects to the remote end for owner, whose Params hold the
	// connection parameters. It returns when connected, or with an error
	// (preferably a *protocol.StatusError).
	Open(ctx context.Context, owner User, d Display) (Session, error)
}

// Registry maps protocol names to backends. It is safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[string]Backend
}

// Register adds or replaces the backend for name.
func (r *Registry) Register(name string, b Backend) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.m == nil {
		r.m = make(map[string]Backend)
	}
	r.m[name] = b
}

// Lookup returns the backend for name.
func (r *Registry) Lookup(name string) (Backend, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	b, ok := r.m[name]
	return b, ok
}

// Names lists the registered protocol names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	names := make([]string, 0, len(r.m))
	for n := range r.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// viaGuacdPrefix marks registry names of backends that relay a protocol to
// an upstream guacd.
const viaGuacdPrefix = "guacd:"

// ViaGuacd names the registry entry that relays proto to an upstream guacd,
// for catalog connections that name one (proxy_hostname/proxy_port). Such
// a backend takes the upstream address from the owner's ParamProxyHostname
// and ParamProxyPort parameters.
func ViaGuacd(proto string) string { return viaGuacdPrefix + proto }

// Parameters that name the upstream guacd of a relayed connection. They are
// set by the web layer from the catalog, never taken from a client.
const (
	ParamProxyHostname = "proxy-hostname"
	ParamProxyPort     = "proxy-port"
)

// Internal reports whether name is a registry entry that only the web layer
// may select (from the catalog), never a guacd-protocol client.
func Internal(name string) bool { return strings.HasPrefix(name, viaGuacdPrefix) }
