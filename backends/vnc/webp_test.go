package vnc_test

import (
	"net"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
	"github.com/goguacd/goguacd/protocol"
)

// mimeViewer is a guacd-protocol client that counts img streams by
// mimetype. It decodes no images (the display package's tests check
// those), so that it keeps up with the frames even under the race
// detector: a lagging viewer slows the frame rate below what is lossy.
type mimeViewer struct {
	t     *testing.T
	nc    net.Conn
	r     *protocol.Reader
	id    string // connection id from `ready`
	mimes map[string]int
}

// dialImages opens (sel "vnc") or joins (sel a connection id) a VNC
// connection, listing images as the user's image mimetypes.
func dialImages(t *testing.T, addr, sel string, params map[string]string, images ...string) *mimeViewer {
	t.Helper()
	nc, r := handshakeVNC(t, addr, sel, "200", "120", params, append([]string{"image"}, images...))
	return &mimeViewer{t: t, nc: nc, r: r, mimes: map[string]int{}}
}

// pump applies the instructions of every viewer in turn until cond holds
// (true) or d passes (false). Taking turns keeps every viewer answering
// syncs, so that none is dropped as idle while another is read.
func pump(d time.Duration, cond func() bool, vs ...*mimeViewer) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		for _, v := range vs {
			v.step(20 * time.Millisecond)
		}
	}
	return true
}

// step applies instructions until none arrives for d.
func (v *mimeViewer) step(d time.Duration) {
	v.t.Helper()
	for {
		in, ok := readWithin(v.t, v.nc, v.r, d)
		if !ok {
			return
		}
		switch {
		case in.Is("ready"):
			v.id = string(in.Args[0])
		case in.Is("error"):
			v.t.Fatalf("error %q %q", in.Args[0], in.Args[1])
		case in.Is("sync"):
			v.nc.Write(protocol.AppendInstruction(nil, "sync", string(in.Args[0])))
		case in.Is("img"):
			v.mimes[string(in.Args[3])]++
		}
	}
}

// TestWebPWhileEveryUserAcceptsIt: video goes out as WebP while every
// user lists image/webp, as JPEG from the moment a user who does not
// joins, and as WebP again once that user has left.
func TestWebPWhileEveryUserAcceptsIt(t *testing.T) {
	// A small screen, all video: under the race detector and a loaded
	// machine a 640x360 area encodes too slowly to reach the 3 fps that
	// make an area lossy.
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 200, Height: 120, Scenario: rfbtest.Video, Frames: 3000, MaxFPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	addr := startGoguacd(t)
	host, port, _ := net.SplitHostPort(rs.Addr())
	const wait = 30 * time.Second

	owner := dialImages(t, addr, "vnc", map[string]string{"hostname": host, "port": port}, "image/png", "image/jpeg", "image/webp")
	if !pump(wait, func() bool { return owner.id != "" && owner.mimes["image/webp"] >= 3 }, owner) {
		t.Fatalf("the owner got no WebP: %v", owner.mimes)
	}
	if owner.mimes["image/jpeg"] > 0 {
		t.Fatalf("JPEG sent while every user accepts WebP: %v", owner.mimes)
	}

	joiner := dialImages(t, addr, owner.id, nil, "image/png", "image/jpeg")
	clear(owner.mimes)
	both := func() bool { return joiner.mimes["image/jpeg"] > 0 && owner.mimes["image/jpeg"] > 0 }
	if !pump(wait, both, owner, joiner) {
		t.Fatalf("no JPEG while a user without WebP is there: joiner %v, owner %v", joiner.mimes, owner.mimes)
	}
	if joiner.mimes["image/webp"] > 0 {
		t.Fatalf("WebP sent to a user who does not accept it: %v", joiner.mimes)
	}

	joiner.nc.Close()
	clear(owner.mimes)
	if !pump(wait, func() bool { return owner.mimes["image/webp"] > 0 }, owner) {
		t.Fatalf("no WebP after the joiner left: %v", owner.mimes)
	}
}
