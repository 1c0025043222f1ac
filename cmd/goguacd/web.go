package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/auth/pgcatalog"
	sshdemo "github.com/goguacd/goguacd/backends/ssh/demo"
	"github.com/goguacd/goguacd/backends/vnc/demo"
	"github.com/goguacd/goguacd/tunnel"
	"github.com/goguacd/goguacd/tunnel/ws"
	"github.com/goguacd/goguacd/web"
)

// demoUser is the development identity of the embedded default.
const demoUser = "demo@localhost"

// webStack is the browser-facing side: identity, catalog, tunnels, page.
type webStack struct {
	http    *http.Server
	ln      net.Listener
	tunnels *ws.Handler
	reload  func() error // SIGHUP: reload the catalog; nil if nothing reloads
	closers []func()
}

// buildCatalog opens the configured catalog; with none configured and the
// demo on, it serves the demo connections.
func buildCatalog(ctx context.Context, cfg Config, demos *demoServers, logger *slog.Logger) (catalog.Catalog, func() error, func(), error) {
	switch {
	case cfg.Catalog.Postgres != nil:
		c, err := pgcatalog.New(*cfg.Catalog.Postgres, logger)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("catalog.postgres: %w", err)
		}
		return c, nil, c.Close, nil
	case cfg.Catalog.File != "":
		r, err := catalog.NewReloader(cfg.Catalog.File, logger)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("catalog.file: %w", err)
		}
		go r.Run(ctx)
		return r, r.Reload, nil, nil
	case demos != nil:
		f, err := catalog.Parse("demo catalog", demos.catalog())
		if err != nil {
			return nil, nil, nil, err
		}
		return f, nil, nil, nil
	}
	return nil, nil, nil, nil
}

// demoServers are the embedded default's built-in demo desktop and terminal.
type demoServers struct {
	desktop  string            // VNC address
	terminal map[string]string // SSH connection parameters
}

// catalog lets every user open both demos. Parameters are quoted with %q,
// which YAML reads as the same double-quoted string.
func (d *demoServers) catalog() []byte {
	_, port, _ := net.SplitHostPort(d.desktop)
	var b strings.Builder
	fmt.Fprintf(&b, "connections:\n")
	fmt.Fprintf(&b, "  - id: demo-desktop\n    name: Demo desktop\n    protocol: vnc\n    group: Demo\n")
	fmt.Fprintf(&b, "    params: {hostname: 127.0.0.1, port: %q}\n", port)
	fmt.Fprintf(&b, "  - id: demo-terminal\n    name: Demo terminal\n    protocol: ssh\n    group: Demo\n    params:\n")
	for _, k := range []string{"hostname", "port", "username", "password", "host-key"} {
		fmt.Fprintf(&b, "      %s: %q\n", k, d.terminal[k])
	}
	b.WriteString("defaults:\n  connections: [demo-desktop, demo-terminal]\n")
	return []byte(b.String())
}

// buildWeb starts the web listener, or returns nil when it is disabled.
func buildWeb(ctx context.Context, cfg Config, core *tunnel.Server, logger *slog.Logger) (*webStack, error) {
	if cfg.Web.Listen == "" {
		return nil, nil
	}
	st := &webStack{}
	fail := func(err error) (*webStack, error) {
		st.close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Web.Listen)
	if err != nil {
		return nil, fmt.Errorf("web listener: %w", err)
	}
	st.ln = ln
	st.closers = append(st.closers, func() { ln.Close() })

	authn, err := auth.New(cfg.Auth, ln.Addr().String(), logger)
	if err != nil {
		return fail(err)
	}
	var demos *demoServers
	if cfg.Demo {
		d, err := demo.Start(ctx, demo.Config{Width: 1024, Height: 768, Logger: logger})
		if err != nil {
			return fail(fmt.Errorf("demo desktop: %w", err))
		}
		st.closers = append(st.closers, func() { d.Close() })
		term, err := sshdemo.Start(logger)
		if err != nil {
			return fail(fmt.Errorf("demo terminal: %w", err))
		}
		st.closers = append(st.closers, func() { term.Close() })
		demos = &demoServers{desktop: d.Addr(), terminal: term.Params()}
	}
	cat, reload, closeCat, err := buildCatalog(ctx, cfg, demos, logger)
	if err != nil {
		return fail(err)
	}
	if closeCat != nil {
		st.closers = append(st.closers, closeCat)
	}
	st.reload = reload

	base := strings.TrimRight(cfg.Web.BasePath, "/")
	st.tunnels = ws.New(ws.Config{
		Server: core, Auth: authn, Catalog: cat,
		AllowedOrigins: cfg.Web.AllowedOrigins, BasePath: base, Logger: logger,
	})
	page := web.New(web.Config{Auth: authn, Catalog: cat, BasePath: base, Logger: logger})
	if !page.HasBundle() {
		logger.Warn("the guacamole-common-js bundle is missing from this build; run `make build` (it runs npm) for a working web client")
	}
	mux := http.NewServeMux()
	mux.Handle(base+"/websocket-tunnel", st.tunnels)
	mux.Handle(base+"/tunnel", st.tunnels)
	mux.Handle(base+"/", page)
	st.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := st.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("web listener failed", "err", err)
		}
	}()
	url := "http://" + ln.Addr().String() + base + "/"
	logger.Info("web client ready", "addr", ln.Addr().String(), "url", url)
	if cfg.Demo {
		logger.Info("embedded default: open "+url+" in a browser to use the demo desktop; "+
			"to serve real connections, start goguacd with -config FILE (see README.md: catalog, auth)",
			"user", cfg.Auth.DevUser)
	}
	return st, nil
}

// shutdown stops the listener; hijacked tunnels are drained by the core.
func (st *webStack) shutdown(ctx context.Context) {
	if st == nil {
		return
	}
	_ = st.http.Shutdown(ctx)
	st.tunnels.Close()
	st.close()
}

func (st *webStack) close() {
	for i := len(st.closers) - 1; i >= 0; i-- {
		st.closers[i]()
	}
	st.closers = nil
}
