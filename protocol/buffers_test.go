package protocol

import (
	"runtime"
	"testing"
	"time"
)

func drainBuffers() {
	for GetBuffer(0) != nil {
	}
}

func TestBufferFreeList(t *testing.T) {
	drainBuffers()
	defer drainBuffers()
	if PutBuffer(make([]byte, 10, KeepBytes)) {
		t.Fatal("a small buffer was taken: its owner should keep it")
	}
	if !PutBuffer(make([]byte, 5, KeepBytes+1)) {
		t.Fatal("a big buffer was refused")
	}
	got := GetBuffer(0)
	if len(got) != 0 || cap(got) != KeepBytes+1 {
		t.Fatalf("got len %d cap %d, want the big buffer emptied", len(got), cap(got))
	}
	if GetBuffer(0) != nil {
		t.Fatal("the free list handed out a buffer twice")
	}
	n := 0
	for PutBuffer(make([]byte, 0, KeepBytes+1)) {
		n++
	}
	if n != 4*runtime.GOMAXPROCS(0) {
		t.Fatalf("free list took %d buffers, want a bound of %d", n, 4*runtime.GOMAXPROCS(0))
	}
	drainBuffers()
	if PutBuffer(make([]byte, 0, maxFreeBytes+1)) {
		t.Fatal("a buffer bigger than the free list's byte bound was taken")
	}
}

// TestGetBufferFits checks the choice among free buffers: the smallest
// that holds n, the biggest when n is unknown, none when none holds n.
func TestGetBufferFits(t *testing.T) {
	drainBuffers()
	defer drainBuffers()
	sizes := []int{300 << 10, 100 << 10, 200 << 10}
	put := func() {
		drainBuffers()
		for _, c := range sizes {
			if !PutBuffer(make([]byte, 0, c)) {
				t.Fatalf("buffer of %d refused", c)
			}
		}
	}
	for _, tc := range []struct{ n, want int }{
		{0, 300 << 10},
		{1, 100 << 10},
		{100 << 10, 100 << 10},
		{100<<10 + 1, 200 << 10},
		{250 << 10, 300 << 10},
		{300<<10 + 1, -1},
	} {
		put()
		b := GetBuffer(tc.n)
		switch {
		case tc.want < 0 && b != nil:
			t.Errorf("GetBuffer(%d) = cap %d, want nil", tc.n, cap(b))
		case tc.want >= 0 && cap(b) != tc.want:
			t.Errorf("GetBuffer(%d) = cap %d, want %d", tc.n, cap(b), tc.want)
		}
		if b != nil && bigBuffers.bytes != 600<<10-cap(b) {
			t.Errorf("GetBuffer(%d): free list counts %d bytes, want %d", tc.n, bigBuffers.bytes, 600<<10-cap(b))
		}
	}
}

// TestBufferIdleTrim checks that free buffers unused for bufferIdle leave
// the list when another is given back, and recent ones stay.
func TestBufferIdleTrim(t *testing.T) {
	drainBuffers()
	defer drainBuffers()
	now := time.Unix(1e9, 0)
	bufferNow = func() time.Time { return now }
	defer func() { bufferNow = time.Now }()
	old, young := make([]byte, 0, KeepBytes+1), make([]byte, 0, KeepBytes+2)
	PutBuffer(old)
	now = now.Add(bufferIdle / 2)
	PutBuffer(young)
	now = now.Add(bufferIdle / 2)
	last := make([]byte, 0, KeepBytes+3)
	if !PutBuffer(last) {
		t.Fatal("buffer refused")
	}
	var caps []int
	for b := GetBuffer(0); b != nil; b = GetBuffer(0) {
		caps = append(caps, cap(b))
	}
	if len(caps) != 2 || caps[0] != KeepBytes+3 || caps[1] != KeepBytes+2 {
		t.Fatalf("free buffers %v, want the young and the last (the old one dropped)", caps)
	}
	if bigBuffers.bytes != 0 {
		t.Fatalf("empty free list counts %d bytes", bigBuffers.bytes)
	}
}
