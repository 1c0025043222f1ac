package ws

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/tunnel"
)

// Config configures a Handler. Server and Auth are required.
type Config struct {
	Server  *tunnel.Server
	Auth    auth.Authenticator
	Catalog catalog.Catalog // nil: only guacamole-lite token identities can connect

	// AllowedOrigins lists the origins ("https://host[:port]") browsers may
	// open tunnels from. Empty means the request's own host only. A request
	// without Origin (not a browser) is allowed: authentication still
	// applies.
	AllowedOrigins []string
	// BasePath is the path prefix the tunnels are served under, e.g.
	// "/guacamole"; the endpoints are BasePath+"/websocket-tunnel" and
	// BasePath+"/tunnel".
	BasePath string
	Logger   *slog.Logger

	// HTTPTunnelTimeout closes an HTTP tunnel nobody polled for this long
	// (default 15 s, guacamole-client's TUNNEL_TIMEOUT).
	HTTPTunnelTimeout time.Duration
	// LongPoll is the longest one HTTP read request is held open waiting
	// for data (default 10 s; the core's keep-alive nop comes every 5 s).
	LongPoll time.Duration
}

// Handler serves the WebSocket and HTTP tunnels. Create it with New; call
// Close when done to end HTTP tunnels and wait for their sessions.
type Handler struct {
	cfg      Config
	log      *slog.Logger
	wsPath   string
	httpPath string
	allowed  map[string]bool
	httpTun  httpTunnels

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // sessions started by this handler
}

// New returns a Handler for cfg.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.HTTPTunnelTimeout <= 0 {
		cfg.HTTPTunnelTimeout = 15 * time.Second
	}
	if cfg.LongPoll <= 0 {
		cfg.LongPoll = 10 * time.Second
	}
	base := strings.TrimRight(cfg.BasePath, "/")
	h := &Handler{
		cfg:      cfg,
		log:      cfg.Logger,
		wsPath:   base + "/websocket-tunnel",
		httpPath: base + "/tunnel",
		allowed:  make(map[string]bool),
		httpTun:  httpTunnels{m: make(map[string]*httpConn)},
	}
	for _, o := range cfg.AllowedOrigins {
		h.allowed[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	return h
}

// ServeHTTP implements http.Handler for the two tunnel paths; other paths get
// 404.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case h.wsPath:
		h.serveWebSocket(w, r)
	case h.httpPath:
		h.serveHTTPTunnel(w, r)
	default:
		http.NotFound(w, r)
	}
}

// Close ends every HTTP tunnel and waits for the sessions this handler
// started to return. WebSocket sessions end with their connections (see
// tunnel.Server.Shutdown).
func (h *Handler) Close() {
	h.cancel()
	h.httpTun.closeAll()
	h.wg.Wait()
}

// checkOrigin accepts requests without Origin, from the request's own host,
// or from a configured origin.
func (h *Handler) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if len(h.allowed) > 0 {
		return h.allowed[strings.ToLower(strings.TrimRight(origin, "/"))]
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}
