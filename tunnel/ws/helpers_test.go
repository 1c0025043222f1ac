package ws

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel"
)

func TestMain(m *testing.M) {
	if spec := os.Getenv("GOGUACD_IDLE_CLIENT"); spec != "" {
		os.Exit(runIdleClient(spec))
	}
	goleak.VerifyTestMain(m)
}

// headerAuth trusts X-User; "banned" is refused with 403, no header with 401.
type headerAuth struct{}

func (headerAuth) Authenticate(r *http.Request) (auth.Identity, error) {
	switch u := r.Header.Get("X-User"); u {
	case "":
		return auth.Identity{}, &auth.Error{Status: http.StatusUnauthorized, Message: "Log in first."}
	case "banned":
		return auth.Identity{}, &auth.Error{Status: http.StatusForbidden, Message: "Account disabled."}
	default:
		return auth.Identity{Username: u}, nil
	}
}

// fakeCatalog holds connections and who may open them (nil: everyone).
type fakeCatalog struct {
	conns   map[string]catalog.Connection
	allowed map[string][]string // connection id → usernames

	mu       sync.Mutex
	limit    int // concurrent acquisitions allowed; 0 = unlimited
	acquired int
	total    int
}

func (c *fakeCatalog) List(ctx context.Context, id auth.Identity) ([]catalog.Connection, error) {
	var out []catalog.Connection
	for _, k := range slices.Sorted(mapsKeys(c.conns)) {
		if _, err := c.Get(ctx, id, k); err == nil {
			out = append(out, c.conns[k])
		}
	}
	return out, nil
}

func mapsKeys(m map[string]catalog.Connection) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func (c *fakeCatalog) Get(_ context.Context, id auth.Identity, connID string) (catalog.Connection, error) {
	conn, ok := c.conns[connID]
	if !ok {
		return catalog.Connection{}, catalog.ErrNotFound
	}
	if users, ok := c.allowed[connID]; ok && !slices.Contains(users, id.Username) {
		return catalog.Connection{}, catalog.ErrForbidden
	}
	return conn, nil
}

func (c *fakeCatalog) Acquire(_ context.Context, _ auth.Identity, _ catalog.Connection, _ string) (func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit > 0 && c.acquired >= c.limit {
		return nil, catalog.ErrTooMany
	}
	c.acquired++
	c.total++
	return func() {
		c.mu.Lock()
		c.acquired--
		c.mu.Unlock()
	}, nil
}

func (c *fakeCatalog) held() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acquired
}

// env is a tunnel.Server with the test backend behind a Handler on a
// loopback HTTP server.
type env struct {
	t       *testing.T
	srv     *tunnel.Server
	be      *backendtest.Backend
	cat     *fakeCatalog
	h       *Handler
	ts      *httptest.Server
	wsURL   string
	httpURL string
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func newEnv(t *testing.T, mod func(*Config, *backendtest.Backend)) *env {
	t.Helper()
	be := backendtest.New()
	reg := &backends.Registry{}
	reg.Register("test", be)
	srv := tunnel.NewServer(tunnel.Config{Backends: reg, Logger: testLogger()})
	cat := &fakeCatalog{
		conns: map[string]catalog.Connection{
			"green":  {ID: "green", Name: "Green desktop", Protocol: "test", Params: map[string]string{"color": "00ff00", "password": "secret"}, SharingProfiles: []catalog.SharingProfile{{ID: "view", Name: "View only", Params: map[string]string{"read-only": "true"}}}},
			"secret": {ID: "secret", Name: "Admins only", Protocol: "test"},
		},
		allowed: map[string][]string{"secret": {"admin"}, "green": {"alice", "bob", "admin"}},
	}
	cfg := Config{Server: srv, Auth: headerAuth{}, Catalog: cat, Logger: testLogger(), BasePath: "/guacamole"}
	if mod != nil {
		mod(&cfg, be)
	}
	h := New(cfg)
	ts := httptest.NewServer(h)
	e := &env{t: t, srv: srv, be: be, cat: cat, h: h, ts: ts,
		wsURL:   "ws" + strings.TrimPrefix(ts.URL, "http") + "/guacamole/websocket-tunnel",
		httpURL: ts.URL + "/guacamole/tunnel"}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		h.Close()
		ts.CloseClientConnections()
		ts.Close()
	})
	return e
}

// dial opens a WebSocket tunnel as user with the given connect data.
func (e *env) dial(user, query string, hdr http.Header) (*wsClient, *http.Response, error) {
	if hdr == nil {
		hdr = http.Header{}
	}
	if user != "" {
		hdr.Set("X-User", user)
	}
	d := websocket.Dialer{Subprotocols: []string{"guacamole"}, HandshakeTimeout: 5 * time.Second}
	c, resp, err := d.Dial(e.wsURL+"?"+query, hdr)
	if err != nil {
		return nil, resp, err
	}
	wc := &wsClient{t: e.t, c: c}
	e.t.Cleanup(func() { c.Close() })
	return wc, resp, nil
}

// wsClient is a browser stand-in that checks every message holds whole
// instructions.
type wsClient struct {
	t       *testing.T
	c       *websocket.Conn
	pending []string // instructions read but not yet consumed
	msgs    int
	utf16   bool // counts lengths in UTF-16 units, like guacamole-common-js 1.5.0
}

// next returns the next instruction as its wire text.
func (w *wsClient) next() (string, error) {
	for len(w.pending) == 0 {
		_ = w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, data, err := w.c.ReadMessage()
		if err != nil {
			return "", err
		}
		w.msgs++
		if typ != websocket.TextMessage {
			w.t.Fatalf("message type %d, want text", typ)
		}
		if !w.utf16 {
			w.pending = splitWhole(w.t, data)
			continue
		}
		cp, err := recount(nil, data, false)
		if err != nil {
			w.t.Fatalf("message %q is not whole UTF-16-counted instructions: %v", data, err)
		}
		for _, ins := range splitWhole(w.t, cp) {
			u, _ := recount(nil, []byte(ins), true)
			w.pending = append(w.pending, string(u))
		}
	}
	s := w.pending[0]
	w.pending = w.pending[1:]
	return s, nil
}

// expect reads until an instruction starting with prefix arrives.
func (w *wsClient) expect(prefix string) string {
	w.t.Helper()
	for range 1000 {
		s, err := w.next()
		if err != nil {
			w.t.Fatalf("waiting for %q: %v", prefix, err)
		}
		if strings.HasPrefix(s, prefix) {
			return s
		}
	}
	w.t.Fatalf("no %q in 1000 instructions", prefix)
	return ""
}

func (w *wsClient) send(s string) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		w.t.Fatalf("send %q: %v", s, err)
	}
}

// closeErr reads until the server closes and returns the close frame.
func (w *wsClient) closeErr() *websocket.CloseError {
	w.t.Helper()
	for range 10000 {
		if _, err := w.next(); err != nil {
			ce, ok := err.(*websocket.CloseError)
			if !ok {
				w.t.Fatalf("read ended with %v, want a close frame", err)
			}
			return ce
		}
	}
	w.t.Fatal("server never closed")
	return nil
}

// splitWhole splits a message into instructions and fails unless it is made
// of whole instructions only.
func splitWhole(t *testing.T, data []byte) []string {
	t.Helper()
	var p protocol.Parser
	var out []string
	for off := 0; off < len(data); {
		_, n, err := p.Next(data[off:])
		if err != nil {
			t.Fatalf("message is not whole instructions at %d: %v (%.80q)", off, err, data[off:])
		}
		out = append(out, string(data[off:off+n]))
		off += n
	}
	return out
}

// waitInput returns the next backend input with opcode op.
func (e *env) waitInput(op string) backendtest.Input {
	e.t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case in := <-e.be.Inputs:
			if in.Opcode == op {
				return in
			}
		case <-timeout:
			e.t.Fatalf("backend never received %q", op)
		}
	}
}

const connectGreen = "GUAC_DATA_SOURCE=goguacd&GUAC_TYPE=c&GUAC_ID=green&GUAC_WIDTH=800&GUAC_HEIGHT=600&GUAC_DPI=96&GUAC_IMAGE=image/png&GUAC_TIMEZONE=Europe/Paris"
