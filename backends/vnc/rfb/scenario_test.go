package rfb

import (
	"fmt"
	"image"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// TestScenarios plays every frame-driven scenario to its end and checks
// that the client's framebuffer equals the scenario's last frame.
func TestScenarios(t *testing.T) {
	const frames = 12
	for _, sc := range []rfbtest.Scenario{rfbtest.Idle, rfbtest.Typing, rfbtest.Scroll, rfbtest.Video, rfbtest.Full} {
		for _, enc := range []rfbtest.Encoding{rfbtest.Raw, rfbtest.ZRLE} {
			t.Run(fmt.Sprintf("%s/%d", sc, enc), func(t *testing.T) {
				t.Parallel()
				s := start(t, rfbtest.Options{Scenario: sc, Frames: frames, MaxFPS: -1, Width: 256, Height: 160, Encoding: enc}, Config{})
				n := 0
				if sc != rfbtest.Idle {
					select {
					case <-s.srv.Done():
					case <-time.After(60 * time.Second):
						t.Fatal("scenario did not finish")
					}
					n = frames
				}
				// The initial update plus one per frame.
				for i := 0; i <= n; i++ {
					s.sink.waitFor(t, "end")
				}
				want := image.NewRGBA(image.Rect(0, 0, 256, 160))
				if err := rfbtest.RenderFrame(sc, n, want); err != nil {
					t.Fatal(err)
				}
				assertSame(t, s.c.Framebuffer(), want)
			})
		}
	}
}

// TestEcho: each key press draws one cell.
func TestEcho(t *testing.T) {
	s := start(t, rfbtest.Options{Scenario: rfbtest.Echo, Width: 200, Height: 100}, Config{})
	s.sink.waitFor(t, "end")
	for i := 0; i < 5; i++ {
		if err := s.c.KeyEvent(uint32('a'+i), true); err != nil {
			t.Fatal(err)
		}
		s.sink.waitFor(t, "end")
		if err := s.c.KeyEvent(uint32('a'+i), false); err != nil {
			t.Fatal(err)
		}
	}
	want := image.NewRGBA(image.Rect(0, 0, 200, 100))
	rfbtest.RenderFrame(rfbtest.Echo, 5, want)
	assertSame(t, s.c.Framebuffer(), want)
}
