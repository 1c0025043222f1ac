package vnc_test

import (
	"context"
	"image"
	"image/color"
	"image/draw"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// disable-server-input sends SetServerInput(1) once to a server that
// announces it, and never to one that does not (which, like TigerVNC,
// would drop the connection).
func TestDisableServerInput(t *testing.T) {
	for _, tc := range []struct {
		name     string
		announce bool
		param    string
		want     []rfbtest.Event
	}{
		{"announced", true, "true", []rfbtest.Event{{Kind: rfbtest.SetServerInputEvent, Status: 1}}},
		{"not announced", false, "true", nil},
		{"not asked", true, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			red := image.NewRGBA(image.Rect(0, 0, 64, 48))
			draw.Draw(red, red.Rect, &image.Uniform{color.RGBA{255, 0, 0, 255}}, image.Point{}, draw.Src)
			rs, err := rfbtest.NewServer(rfbtest.Options{Image: red, SupportedMessages: tc.announce})
			if err != nil {
				t.Fatal(err)
			}
			defer rs.Close()
			addr := startGoguacd(t)
			host, port, _ := net.SplitHostPort(rs.Addr())
			v := connectVNC(t, addr, map[string]string{"hostname": host, "port": port, "disable-server-input": tc.param})
			// The red picture shows once the first update, which carries
			// the announcement, has been decoded.
			if !v.pump(30*time.Second, func() bool {
				img := v.canvas.Image()
				return img != nil && img.Rect.Dx() == 64 && img.RGBAAt(1, 1) == color.RGBA{255, 0, 0, 255}
			}) {
				t.Fatalf("no picture (errors %v)", v.errs)
			}
			// A key typed now is recorded after any SetServerInput, and
			// proves the connection survived.
			v.nc.Write(protocol.AppendInstruction(nil, "key", "65", "1"))
			want := append(tc.want, rfbtest.Event{Kind: rfbtest.KeyEvent, Keysym: 65, Down: true})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			got, err := rs.WaitEvents(ctx, len(want))
			if err != nil {
				t.Fatalf("events %+v: %v", got, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("server saw %+v, want %+v", got, want)
			}
		})
	}
}
