package vnc

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/vnc/rfb"
	"github.com/goguacd/goguacd/backends/wol"
)

// dialSettings are the parameters that decide how the RFB connection is
// made: directly, through an UltraVNC repeater, or by waiting for the
// server to connect (reverse), optionally after a Wake-on-LAN packet.
type dialSettings struct {
	addr          string
	reverse       bool
	listenTimeout time.Duration
	destHost      string
	destPort      string
	wol           *wol.Settings
}

func dialSettingsFrom(p backends.Params) (dialSettings, error) {
	host := p.String("hostname", "")
	d := dialSettings{
		addr:          net.JoinHostPort(host, p.String("port", "5900")),
		reverse:       p.Bool("reverse-connect", false),
		listenTimeout: time.Duration(p.Int("listen-timeout", 5000)) * time.Millisecond,
		destHost:      p.String("dest-host", ""),
		destPort:      p.String("dest-port", ""),
	}
	if host == "" && !d.reverse {
		return d, fmt.Errorf("no hostname given")
	}
	w, err := wol.FromParams(p)
	if err != nil {
		return d, err
	}
	d.wol = w
	return d, nil
}

// repeaterIDLen is the fixed size of the UltraVNC repeater's destination
// string ("host:port", NUL padded), sent before the RFB handshake.
const repeaterIDLen = 250

// conn makes the network connection for one attempt.
func (d dialSettings) conn(ctx context.Context) (net.Conn, error) {
	if d.reverse {
		return d.accept(ctx)
	}
	var dl net.Dialer
	nc, err := dl.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		return nil, err
	}
	if d.destHost != "" {
		id := make([]byte, repeaterIDLen)
		copy(id, d.destHost+":"+d.destPort)
		if _, err := nc.Write(id); err != nil {
			nc.Close()
			return nil, fmt.Errorf("vnc: repeater: %w", err)
		}
	}
	return nc, nil
}

// accept listens on the configured address for the VNC server to connect,
// for at most listen-timeout, as guacd's reverse-connect does.
func (d dialSettings) accept(ctx context.Context) (net.Conn, error) {
	ln, err := net.Listen("tcp", d.addr)
	if err != nil {
		return nil, fmt.Errorf("vnc: reverse-connect listen: %w", err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(ctx, d.listenTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	nc, err := ln.Accept()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("vnc: reverse-connect: no server connected within %v: %w", d.listenTimeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("vnc: reverse-connect: %w", err)
	}
	return nc, nil
}

// dialRFB connects and completes the RFB handshake once.
func (d dialSettings) dialRFB(ctx context.Context, cfg rfb.Config) (*rfb.Client, error) {
	nc, err := d.conn(ctx)
	if err != nil {
		return nil, err
	}
	c, err := rfb.NewClient(ctx, nc, cfg)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return c, nil
}
