package display

import (
	"runtime"
	"testing"

	"github.com/goguacd/goguacd/protocol"
)

// TestFlushReleasesBigOutputs checks that an engine keeps no big image
// buffer between frames, and that frames stay correct when buffers move
// between engines.
func TestFlushReleasesBigOutputs(t *testing.T) {
	a := newClient(t, 640, 480, Options{Lossless: true})
	b := newClient(t, 640, 480, Options{Lossless: true})
	for i := range 4 {
		for _, c := range []*client{a, b} {
			r := rng(i*7 + 1)
			img := c.e.Image()
			for p := 0; p < len(img.Pix); p += 4 {
				v := r.next()
				img.Pix[p], img.Pix[p+1], img.Pix[p+2] = byte(v), byte(v>>8), byte(v>>16)
			}
			c.e.Damage(img.Rect)
			c.flush()
			c.check("noise frame")
			for _, j := range c.e.jobs {
				if cap(j.out) > protocol.KeepBytes {
					t.Fatalf("frame %d: engine kept a %d-byte output", i, cap(j.out))
				}
			}
		}
	}
}

// TestEncoderSlots checks the process-wide bound on encoders in use: extra
// workers are refused once every slot is taken, and a blocked getEncoder
// proceeds when one is given back.
func TestEncoderSlots(t *testing.T) {
	n := cap(encoderPool.slots)
	if n != runtime.GOMAXPROCS(0) {
		t.Fatalf("%d slots, want GOMAXPROCS %d", n, runtime.GOMAXPROCS(0))
	}
	var held []*encoder
	for range n {
		held = append(held, getEncoder(1))
	}
	if enc := tryGetEncoder(1); enc != nil {
		t.Fatal("an encoder beyond the bound was handed out")
	}
	got := make(chan *encoder)
	go func() { got <- getEncoder(1) }()
	putEncoder(held[0])
	putEncoder(<-got)
	for _, enc := range held[1:] {
		putEncoder(enc)
	}
	encoderPool.mu.Lock()
	free := len(encoderPool.free[1])
	encoderPool.mu.Unlock()
	if free > n {
		t.Fatalf("free list keeps %d encoders, bound %d", free, n)
	}
}
