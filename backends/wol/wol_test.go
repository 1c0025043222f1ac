package wol

import (
	"bytes"
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
)

func TestSendMagicPacket(t *testing.T) {
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	w, err := FromParams(backends.Params{"wol-send-packet": "true", "wol-mac-addr": "01:23:45:67:89:ab",
		"wol-broadcast-addr": "127.0.0.1", "wol-udp-port": strconv.Itoa(uc.LocalAddr().(*net.UDPAddr).Port)})
	if err != nil || w == nil {
		t.Fatalf("FromParams: %v %v", w, err)
	}
	if err := w.Send(context.Background()); err != nil {
		t.Fatal(err)
	}
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 256)
	n, _, err := uc.ReadFromUDP(buf)
	if err != nil {
		t.Fatal(err)
	}
	want := append(bytes.Repeat([]byte{0xff}, 6), bytes.Repeat([]byte{1, 0x23, 0x45, 0x67, 0x89, 0xab}, 16)...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("packet % x", buf[:n])
	}
}

func TestFromParams(t *testing.T) {
	if w, err := FromParams(backends.Params{}); w != nil || err != nil {
		t.Fatalf("off by default: %v %v", w, err)
	}
	if _, err := FromParams(backends.Params{"wol-send-packet": "true", "wol-mac-addr": "nope"}); err == nil {
		t.Fatal("bad MAC accepted")
	}
	w, _ := FromParams(backends.Params{"wol-send-packet": "true", "wol-mac-addr": "aa:bb:cc:dd:ee:ff", "wol-wait-time": "3"})
	if w.Broadcast != "255.255.255.255:9" || w.Wait != 3*time.Second {
		t.Fatalf("defaults: %+v", w)
	}
	// A cancelled wait returns at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	w.Broadcast = "127.0.0.1:9"
	if err := w.Send(ctx); err == nil {
		t.Fatal("cancelled wait returned nil")
	}
}
