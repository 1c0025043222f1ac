package tunnel

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"
)

// ServeListener accepts guacd-protocol clients on ln until ln is closed.
// With tlsCfg set, every connection is TLS (guacd's -C/-K).
func (s *Server) ServeListener(ctx context.Context, ln net.Listener, tlsCfg *tls.Config) error {
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Out of descriptors or similar: back off, keep serving.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logger.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		go s.serveNetConn(ctx, nc, tlsCfg)
	}
}

func (s *Server) serveNetConn(ctx context.Context, nc net.Conn, tlsCfg *tls.Config) {
	if tlsCfg != nil {
		tc := tls.Server(nc, tlsCfg)
		if err := handshakeTLS(tc, s.cfg.HandshakeTimeout); err != nil {
			s.metrics.handshakeFailures.WithLabelValues("tls").Inc()
			s.logger.Info("TLS handshake failed", "remote", nc.RemoteAddr().String(), "err", err)
			_ = nc.Close()
			return
		}
		nc = tc
	}
	_ = s.ServeGuacd(ctx, NewStreamConn(nc, s.cfg.MaxInstruction))
}
