// Package tunneltest runs a goguacd engine on a loopback guacd listener for
// the end-to-end tests of backends and transports.
package tunneltest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/tunnel"
)

// Listen serves cfg on 127.0.0.1:0 until the test ends, then shuts the
// server down (failing the test if it does not drain), and returns the
// listener's address. A nil cfg.Logger discards logs.
func Listen(tb testing.TB, cfg tunnel.Config) (string, *tunnel.Server) {
	tb.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv := tunnel.NewServer(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.ServeListener(context.Background(), ln, nil) }()
	tb.Cleanup(func() {
		ln.Close()
		<-done
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			tb.Errorf("tunneltest: shutdown: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

// ListenBackend serves one backend under protocol name proto.
func ListenBackend(tb testing.TB, proto string, b backends.Backend) string {
	tb.Helper()
	reg := &backends.Registry{}
	reg.Register(proto, b)
	addr, _ := Listen(tb, tunnel.Config{Backends: reg})
	return addr
}
