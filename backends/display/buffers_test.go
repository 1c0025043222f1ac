package display

import (
	"runtime"
	"testing"
)

func TestBufferPool(t *testing.T) {
	for GetBuffer() != nil { // start empty
	}
	if PutBuffer(make([]byte, 10, keepBytes)) {
		t.Fatal("a small buffer was taken: its owner should keep it")
	}
	big := make([]byte, 5, keepBytes+1)
	if !PutBuffer(big) {
		t.Fatal("a big buffer was refused")
	}
	got := GetBuffer()
	if len(got) != 0 || cap(got) != keepBytes+1 {
		t.Fatalf("got len %d cap %d, want the big buffer emptied", len(got), cap(got))
	}
	if GetBuffer() != nil {
		t.Fatal("the free list handed out a buffer twice")
	}
	n := 0
	for PutBuffer(make([]byte, 0, keepBytes+1)) {
		n++
	}
	if n != 4*runtime.GOMAXPROCS(0) {
		t.Fatalf("free list took %d buffers, want a bound of %d", n, 4*runtime.GOMAXPROCS(0))
	}
	for GetBuffer() != nil {
	}
	if PutBuffer(make([]byte, 0, maxFreeBytes+1)) {
		t.Fatal("a buffer bigger than the free list's byte bound was taken")
	}
}

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
				if cap(j.out) > keepBytes {
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
