package rfb

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"
)

// TestFramebufferOutsideHeap checks that a desktop-sized framebuffer does
// not grow the Go heap, and that its mapping is gone once the image is
// unreachable.
func TestFramebufferOutsideHeap(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fb := newFramebuffer(1280, 800)
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 1<<20 {
		t.Fatalf("heap grew %d bytes for a 3 MB framebuffer", grown)
	}
	if len(fb.Pix) != 3*1280*800 || fb.Stride != 3*1280 || fb.Pix[0] != 0 || fb.Pix[len(fb.Pix)-1] != 0 {
		t.Fatal("framebuffer is not 1280x800 packed RGB, black")
	}
	addr := uintptr(unsafe.Pointer(&fb.Pix[0]))
	if !mapped(t, addr) {
		t.Fatalf("framebuffer at %#x is in no mapping", addr)
	}
	fb = nil
	deadline := time.Now().Add(10 * time.Second)
	for mapped(t, addr) {
		if time.Now().After(deadline) {
			t.Fatal("the mapping outlived its unreachable framebuffer")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}

// mapped reports whether addr lies in a mapping of /proc/self/maps.
func mapped(t *testing.T, addr uintptr) bool {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(maps), "\n") {
		var lo, hi uintptr
		if _, err := fmt.Sscanf(l, "%x-%x", &lo, &hi); err == nil && lo <= addr && addr < hi {
			return true
		}
	}
	return false
}
