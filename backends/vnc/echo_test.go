package vnc_test

import (
	"net"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/display/displaytest"
	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// Key echoes after the display has been idle for longer than the lossless
// refresh delay must still reach the viewer, pixel-exact.
func TestEchoAfterIdle(t *testing.T) {
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 1280, Height: 800, Scenario: rfbtest.Echo, MaxFPS: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port})
	same := func() bool { return displaytest.DiffPixels(v.canvas.Image(), rs.Framebuffer()) == 0 }
	if !v.pump(30*time.Second, same) {
		t.Fatalf("initial differs: %d", displaytest.DiffPixels(v.canvas.Image(), rs.Framebuffer()))
	}
	v.pump(1500*time.Millisecond, func() bool { return false })
	for k := 0; k < 3; k++ {
		v.nc.Write(protocol.AppendInstruction(nil, "key", "97", "1"))
		v.nc.Write(protocol.AppendInstruction(nil, "key", "97", "0"))
		time.Sleep(50 * time.Millisecond)
		if !v.pump(30*time.Second, same) {
			t.Fatalf("key %d: differs by %d px; server frames %d; ops %v", k, displaytest.DiffPixels(v.canvas.Image(), rs.Framebuffer()), rs.FramesSent(), v.canvas.Ops)
		}
	}
}
