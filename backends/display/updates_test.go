package display

import (
	"bytes"
	"testing"
	"time"
)

// TestSlowFlushesKeepJPEG: a photo-like area that the source updates at
// 20 fps stays JPEG when flushes come only every 500 ms (a lagging user, a
// loaded server), as long as the producer marks its updates; without
// EndUpdate the engine sees 2 changes a second, under guacd's 3 fps rule,
// and sends PNG.
func TestSlowFlushesKeepJPEG(t *testing.T) {
	for _, tc := range []struct {
		name      string
		endUpdate bool
		want      string
	}{
		{"updates marked", true, "image/jpeg"},
		{"updates not marked", false, "image/png"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, scrW, scrH, Options{})
			c.clk.step = 500 * time.Millisecond // one now() per Flush
			desktop(c.e.Image())
			c.e.Damage(c.e.Image().Rect)
			c.flush()
			n := 0
			for f := range 4 {
				for range 10 { // 10 source updates per flush: 20 fps
					n++
					drawVideo(c.e.Image(), n)
					c.e.Damage(videoRect)
					if tc.endUpdate {
						c.e.EndUpdate()
					}
				}
				c.flush()
				if f == 0 {
					continue // the first change has no rate yet
				}
				if !bytes.Contains(c.buf, []byte(tc.want)) {
					t.Fatalf("flush %d: video area not sent as %s", f, tc.want)
				}
			}
		})
	}
}
