package display

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/goguacd/goguacd/protocol"
)

// TestFlushReusesBuffers checks that steady frames of noise, each image
// bigger than KeepBytes, allocate no image or frame buffers once warm:
// images pass one at a time through their worker's scratch into the frame,
// and frames come back through the free list once written, which is while
// the next frame is being made (users write a frame while the engine makes
// the next). Frames stay correct when buffers move between engines.
func TestFlushReusesBuffers(t *testing.T) {
	a := newClient(t, 640, 480, Options{Lossless: true})
	b := newClient(t, 640, 480, Options{Lossless: true})
	var allocated uint64
	var m0, m1 runtime.MemStats
	var writing [][]byte
	for i := range 6 {
		for _, c := range []*client{a, b} {
			r := rng(i*7 + 1)
			img := c.e.Image()
			for p := 0; p < len(img.Pix); p += 3 {
				v := r.next()
				img.Pix[p], img.Pix[p+1], img.Pix[p+2] = byte(v), byte(v>>8), byte(v>>16)
			}
			c.e.Damage(img.Rect)
			runtime.ReadMemStats(&m0)
			c.buf = c.e.Flush(c.buf[:0], 0)
			runtime.ReadMemStats(&m1)
			if err := c.c.Apply(c.buf); err != nil {
				t.Fatal(err)
			}
			c.check("noise frame")
			if c.e.frame != nil {
				t.Fatal("engine kept its frame")
			}
			if i >= 2 {
				allocated += m1.TotalAlloc - m0.TotalAlloc
			}
			writing = append(writing, c.buf)
			c.buf = nil
			if len(writing) > 2 {
				protocol.PutBuffer(writing[0])
				writing = writing[1:]
			}
		}
	}
	// A frame is 1.6 MB; 8 of them were measured.
	if allocated > 256<<10 {
		t.Fatalf("warm noise frames allocated %d bytes", allocated)
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

// TestSpill checks that Options.Spill gets a big frame in pieces of whole
// instructions, each at most SpillBytes unless it is a single image, that
// the pieces and Flush's result make up exactly the frame an engine
// without Spill sends, and that a Spill taking its buffer (returning nil)
// works as well as one copying it.
func TestSpill(t *testing.T) {
	for _, take := range []bool{false, true} {
		var pieces [][]byte
		spill := func(p []byte) []byte {
			pieces = append(pieces, bytes.Clone(p))
			if take {
				return nil
			}
			return p[:0]
		}
		plain := newClient(t, 640, 480, Options{Lossless: true})
		split := newClient(t, 640, 480, Options{Lossless: true, Spill: spill})
		for i := range 3 {
			// Noise in every other tile: many images, a few KB to tens of
			// KB each; the last frame is noise everywhere, images bigger
			// than SpillBytes.
			for _, c := range []*client{plain, split} {
				r := rng(i + 1)
				img := c.e.Image()
				for y := range 480 {
					for x := range 640 {
						if i < 2 && (x/TileSize+y/TileSize+i)%2 == 0 {
							continue
						}
						v := r.next()
						p := img.PixOffset(x, y)
						img.Pix[p], img.Pix[p+1], img.Pix[p+2] = byte(v), byte(v>>8), byte(v>>16)
					}
				}
				c.e.Damage(img.Rect)
			}
			want := plain.flush()
			pieces = pieces[:0]
			rest := split.e.Flush(nil, 0)
			if len(pieces) < 2 {
				t.Fatalf("frame %d (%d bytes): %d pieces spilled", i, len(want), len(pieces))
			}
			var got []byte
			for _, p := range pieces {
				if len(p) > SpillBytes && bytes.Count(p, []byte(".img,")) != 1 {
					t.Fatalf("frame %d: a %d-byte piece holds several images", i, len(p))
				}
				if err := split.c.Apply(p); err != nil {
					t.Fatalf("frame %d: piece: %v", i, err)
				}
				got = append(got, p...)
			}
			if err := split.c.Apply(rest); err != nil {
				t.Fatal(err)
			}
			split.check("spilled frame")
			if got = append(got, rest...); !bytes.Equal(got, want) {
				t.Fatalf("frame %d: pieces differ from the whole frame", i)
			}
		}
	}
}

// TestEncoderIdleTrim checks that encoders left unused for encoderIdle
// leave the pool when another is given back, and recent ones stay.
func TestEncoderIdleTrim(t *testing.T) {
	t0 := time.Unix(1e9, 0)
	now := t0
	encoderNow = func() time.Time { return now }
	t.Cleanup(func() { encoderNow = time.Now })
	const level = 3 // a level no other test uses
	mk := func(idle time.Time) *encoder { return &encoder{png: newPNGEncoder(level), idleSince: idle} }
	old, young, top := mk(t0), mk(t0.Add(encoderIdle/2)), mk(t0.Add(encoderIdle-time.Millisecond))
	encoderPool.mu.Lock()
	encoderPool.free[level] = []*encoder{old, young, top}
	encoderPool.mu.Unlock()
	now = t0.Add(encoderIdle)
	enc := getEncoder(level)
	if enc != top {
		t.Fatal("the pool did not hand out the most recently used encoder")
	}
	putEncoder(enc)
	encoderPool.mu.Lock()
	free := append([]*encoder(nil), encoderPool.free[level]...)
	encoderPool.mu.Unlock()
	if len(free) != 2 || free[0] != young || free[1] != top {
		t.Fatalf("free list %v, want [young top] (old dropped)", free)
	}
}
