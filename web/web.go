// Package web serves goguacd's built-in web client: a small page that lists
// the user's connections and opens one in the browser with the stock
// guacamole-common-js over the WebSocket tunnel, falling back to the HTTP
// tunnel. The page and its script are embedded; the guacamole-common-js
// bundle is copied in by scripts/web-assets.sh from npm and may be absent on
// a fresh clone, in which case the page explains how to add it.
package web

import (
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

//go:embed static
var static embed.FS

// BundlePath is where the guacamole-common-js bundle lives in the embedded
// assets.
const BundlePath = "vendor/guacamole-common.js"

// Config configures the web client handler. Auth is required.
type Config struct {
	Auth    auth.Authenticator
	Catalog catalog.Catalog // nil: the list is empty
	// BasePath is the path prefix the page is served under, e.g.
	// "/guacamole"; the page uses relative URLs for everything else.
	BasePath string
	Logger   *slog.Logger
	// Assets replaces the embedded assets (tests).
	Assets fs.FS
}

// Handler serves the page at BasePath+"/", its assets, and
// BasePath+"/api/connections".
type Handler struct {
	cfg    Config
	base   string
	assets fs.FS
	files  http.Handler
	bundle bool
}

// New returns the web client handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	assets := cfg.Assets
	if assets == nil {
		assets, _ = fs.Sub(static, "static")
	}
	_, err := fs.Stat(assets, BundlePath)
	return &Handler{
		cfg:    cfg,
		base:   strings.TrimRight(cfg.BasePath, "/"),
		assets: assets,
		files:  http.FileServerFS(assets),
		bundle: err == nil,
	}
}

// HasBundle reports whether the guacamole-common-js bundle is present.
func (h *Handler) HasBundle() bool { return h.bundle }

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if p == h.base {
		// Relative URLs in the page need the trailing slash.
		http.Redirect(w, r, h.base+"/", http.StatusMovedPermanently)
		return
	}
	rel, ok := strings.CutPrefix(p, h.base+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case rel == "api/connections":
		h.serveConnections(w, r)
		return
	case (rel == "" || rel == "index.html") && !h.bundle:
		h.missingBundle(w)
		return
	}
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if rel == "" {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; style-src 'self'; frame-ancestors 'none'")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/" + rel
	h.files.ServeHTTP(w, r2)
}

func (h *Handler) missingBundle(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = io.WriteString(w, `<!doctype html><meta charset="utf-8"><title>goguacd: web client not built</title>
<h1>The web client is not built into this goguacd</h1>
<p>The guacamole-common-js bundle (`+BundlePath+`) is missing from the embedded assets.
Run <code>scripts/web-assets.sh</code> (needs npm) and rebuild goguacd.</p>
<p>The tunnels themselves (<code>websocket-tunnel</code>, <code>tunnel</code>) work without it.</p>
`)
}

// connectionJSON is what the page learns about a connection: never its
// parameters, which may hold secrets.
type connectionJSON struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Protocol string        `json:"protocol"`
	Group    string        `json:"group"`
	Sharing  []sharingJSON `json:"sharingProfiles"`
}

type sharingJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type listJSON struct {
	Username    string           `json:"username"`
	Connections []connectionJSON `json:"connections"`
}

func (h *Handler) serveConnections(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		httpError(w, http.StatusMethodNotAllowed, "GET only.")
		return
	}
	id, err := h.cfg.Auth.Authenticate(r)
	if err != nil {
		var ae *auth.Error
		if errors.As(err, &ae) {
			httpError(w, ae.Status, ae.Message)
		} else {
			httpError(w, http.StatusUnauthorized, "Not logged in.")
		}
		h.cfg.Logger.Info("connection list refused", "remote", r.RemoteAddr, "err", err)
		return
	}
	out := listJSON{Username: id.Username, Connections: []connectionJSON{}}
	if h.cfg.Catalog != nil && id.Token == nil {
		conns, err := h.cfg.Catalog.List(r.Context(), id)
		if err != nil {
			h.cfg.Logger.Warn("connection list failed", "user", id.Username, "err", err)
			httpError(w, http.StatusServiceUnavailable, "The connection list is unavailable. Try again later.")
			return
		}
		for _, c := range conns {
			cj := connectionJSON{ID: c.ID, Name: c.Name, Protocol: c.Protocol, Group: c.Group, Sharing: []sharingJSON{}}
			for _, sp := range c.SharingProfiles {
				cj.Sharing = append(cj.Sharing, sharingJSON{ID: sp.ID, Name: sp.Name})
			}
			out.Connections = append(out.Connections, cj)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(out)
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
