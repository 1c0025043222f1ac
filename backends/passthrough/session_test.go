package passthrough

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

// TestJoinerResync checks that joining the same user again (the core does
// so after dropping a slow user's queue) replaces its upstream join, so
// guacd replays the full state, and the old stream ends silently.
func TestJoinerResync(t *testing.T) {
	g := newFakeGuacd(t, []string{"hostname", "read-only"})
	b := newBackend(t, g.addr(), nil)
	d := newFakeDisplay()
	own := owner(backends.Params{"hostname": "h"}, protocol.Version150)
	sess, err := b.Open(context.Background(), own, d)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if err := sess.Join(own); err != nil {
		t.Fatal(err)
	}
	if !d.waitFor("5.cfill,", 5*time.Second) {
		t.Fatalf("no drawing broadcast: %q", d.output())
	}
	j := &fakeUser{id: "@j", params: backends.Params{"read-only": "true"}, info: backends.ClientInfo{Version: protocol.Version150}}
	// Each join replays the state; the second waits for the first's
	// replay, which its replacement would otherwise cut off unseen.
	for n := 1; n <= 2; n++ {
		if err := sess.Join(j); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for strings.Count(j.output(), "5.cfill,") < n && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	out := j.output()
	if strings.Count(out, "5.cfill,") != 2 || strings.Contains(out, "5.error,") || strings.Contains(out, upstreamTS) {
		t.Fatalf("joiner output %q", out)
	}
	if j.attached {
		t.Fatal("joiner attached to the broadcast")
	}
	hs := g.handshakes()
	if len(hs) != 3 || hs[1].sel != "$fake-1" || hs[2].values["read-only"] != "true" {
		t.Fatalf("handshakes %+v", hs)
	}
	// Input goes to the joiner's newest connection.
	ins := protocol.Instruction{Opcode: []byte("key"), Args: [][]byte{[]byte("65"), []byte("1"), []byte("0")}}
	if err := sess.Input(j, ins); err != nil {
		t.Fatal(err)
	}
	g.waitEvent(t, "joiner key", keyFrom(2, "65"))
	sess.Leave(j)
	if err := sess.Input(j, ins); err == nil {
		t.Fatal("input accepted after Leave")
	}
}

// TestInputAllocs checks that forwarding input allocates nothing.
func TestInputAllocs(t *testing.T) {
	up := newUpstream(discardConn{})
	ins := protocol.Instruction{Opcode: []byte("mouse"), Args: [][]byte{[]byte("100"), []byte("200"), []byte("1"), []byte("12345")}}
	allocs := testing.AllocsPerRun(100, func() {
		if err := up.writeInstruction(ins); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per input", allocs)
	}
}
