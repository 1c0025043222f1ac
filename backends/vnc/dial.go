package vnc

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/vnc/rfb"
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
	wol           *wolSettings
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
	if p.Bool("wol-send-packet", false) {
		w, err := wolSettingsFrom(p)
		if err != nil {
			return d, err
		}
		d.wol = w
	}
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

// wolSettings are guacd's wol-* parameters.
type wolSettings struct {
	mac       net.HardwareAddr
	broadcast string
	wait      time.Duration
}

func wolSettingsFrom(p backends.Params) (*wolSettings, error) {
	mac, err := net.ParseMAC(p.String("wol-mac-addr", ""))
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("wol-mac-addr: not a MAC address")
	}
	return &wolSettings{
		mac:       mac,
		broadcast: net.JoinHostPort(p.String("wol-broadcast-addr", "255.255.255.255"), strconv.Itoa(p.Int("wol-udp-port", 9))),
		wait:      time.Duration(p.Int("wol-wait-time", 0)) * time.Second,
	}, nil
}

// magicPacket is the Wake-on-LAN payload: six 0xFF, then the MAC 16 times.
func magicPacket(mac net.HardwareAddr) []byte {
	b := make([]byte, 0, 6+16*6)
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	for range 16 {
		b = append(b, mac...)
	}
	return b
}

// send broadcasts the magic packet, then waits wol-wait-time for the host
// to boot.
func (w *wolSettings) send(ctx context.Context) error {
	raddr, err := net.ResolveUDPAddr("udp4", w.broadcast)
	if err != nil {
		return fmt.Errorf("vnc: wol-broadcast-addr: %w", err)
	}
	uc, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return fmt.Errorf("vnc: wake-on-lan: %w", err)
	}
	defer uc.Close()
	if err := setBroadcast(uc); err != nil {
		return fmt.Errorf("vnc: wake-on-lan: %w", err)
	}
	if _, err := uc.WriteToUDP(magicPacket(w.mac), raddr); err != nil {
		return fmt.Errorf("vnc: wake-on-lan: %w", err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(w.wait):
		return nil
	}
}
