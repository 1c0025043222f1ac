// Package wol sends Wake-on-LAN magic packets for guacd's wol-* parameters,
// shared by the VNC and SSH backends.
package wol

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/goguacd/goguacd/backends"
)

// Settings are guacd's wol-* parameters.
type Settings struct {
	MAC       net.HardwareAddr
	Broadcast string        // host:port the packet goes to
	Wait      time.Duration // wol-wait-time: how long the host takes to boot
}

// FromParams reads the wol-* parameters; nil when wol-send-packet is not
// "true".
func FromParams(p backends.Params) (*Settings, error) {
	if !p.Bool("wol-send-packet", false) {
		return nil, nil
	}
	mac, err := net.ParseMAC(p.String("wol-mac-addr", ""))
	if err != nil || len(mac) != 6 {
		return nil, fmt.Errorf("wol-mac-addr: not a MAC address")
	}
	return &Settings{
		MAC:       mac,
		Broadcast: net.JoinHostPort(p.String("wol-broadcast-addr", "255.255.255.255"), strconv.Itoa(p.Int("wol-udp-port", 9))),
		Wait:      time.Duration(p.Int("wol-wait-time", 0)) * time.Second,
	}, nil
}

// MagicPacket is the payload: six 0xFF bytes, then the MAC 16 times.
func MagicPacket(mac net.HardwareAddr) []byte {
	b := make([]byte, 0, 6+16*6)
	b = append(b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
	for range 16 {
		b = append(b, mac...)
	}
	return b
}

// Send broadcasts the magic packet, then waits Wait for the host to boot.
func (w *Settings) Send(ctx context.Context) error {
	raddr, err := net.ResolveUDPAddr("udp4", w.Broadcast)
	if err != nil {
		return fmt.Errorf("wol: wol-broadcast-addr: %w", err)
	}
	uc, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return fmt.Errorf("wol: %w", err)
	}
	defer uc.Close()
	if err := setBroadcast(uc); err != nil {
		return fmt.Errorf("wol: %w", err)
	}
	if _, err := uc.WriteToUDP(MagicPacket(w.MAC), raddr); err != nil {
		return fmt.Errorf("wol: %w", err)
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(w.Wait):
		return nil
	}
}
