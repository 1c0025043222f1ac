package vnc_test

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func sized(v *viewer, w int) func() bool {
	return func() bool { return v.canvas.Image() != nil && v.canvas.Image().Rect.Dx() == w }
}

// reverse-connect: goguacd listens and the VNC server dials in.
func TestReverseConnect(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 96, Height: 64})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	port := freePort(t)
	v := connectVNC(t, addr, map[string]string{"hostname": "127.0.0.1", "port": port, "reverse-connect": "true", "listen-timeout": "10000"})
	var nc net.Conn
	for i := 0; i < 200 && nc == nil; i++ {
		nc, _ = net.Dial("tcp", "127.0.0.1:"+port)
		time.Sleep(10 * time.Millisecond)
	}
	if nc == nil {
		t.Fatal("goguacd never listened for the reverse connection")
	}
	rs.ServeConn(nc)
	if !v.pump(20*time.Second, sized(v, 96)) {
		t.Fatalf("no display over the reverse connection (errors %v)", v.errs)
	}

	// Nobody connects within listen-timeout: UPSTREAM_TIMEOUT.
	v = connectVNC(t, addr, map[string]string{"hostname": "127.0.0.1", "port": freePort(t), "reverse-connect": "true", "listen-timeout": "200"})
	v.pump(20*time.Second, func() bool { return len(v.errs) > 0 })
	if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " 514") {
		t.Fatalf("reverse timeout: errors %v, want 514", v.errs)
	}
}

// dest-host/dest-port: the UltraVNC repeater gets "host:port" padded to
// 250 bytes before the RFB handshake.
func TestRepeater(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 80, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	rep, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer rep.Close()
	got := make(chan string, 1)
	go func() {
		nc, err := rep.Accept()
		if err != nil {
			return
		}
		id := make([]byte, 250)
		if _, err := io.ReadFull(nc, id); err != nil {
			nc.Close()
			return
		}
		got <- string(bytes.TrimRight(id, "\x00"))
		rs.ServeConn(nc)
	}()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rep.Addr().String())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "dest-host": "desktop-7", "dest-port": "5901"})
	if !v.pump(20*time.Second, sized(v, 80)) {
		t.Fatalf("no display through the repeater (errors %v)", v.errs)
	}
	if id := <-got; id != "desktop-7:5901" {
		t.Fatalf("repeater got %q", id)
	}
}

// wol-send-packet: the magic packet goes to the configured address and
// port before connecting (loopback here).
func TestWakeOnLAN(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 32})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	uc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "wol-send-packet": "true",
		"wol-mac-addr": "aa:bb:cc:dd:ee:ff", "wol-broadcast-addr": "127.0.0.1",
		"wol-udp-port": strconv.Itoa(uc.LocalAddr().(*net.UDPAddr).Port), "wol-wait-time": "0"})
	uc.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 200)
	n, _, err := uc.ReadFromUDP(buf)
	if err != nil {
		t.Fatalf("no magic packet: %v", err)
	}
	want := append(bytes.Repeat([]byte{0xff}, 6), bytes.Repeat([]byte{0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}, 16)...)
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("magic packet % x", buf[:n])
	}
	if !v.pump(20*time.Second, sized(v, 64)) {
		t.Fatalf("no display after Wake-on-LAN (errors %v)", v.errs)
	}
}
