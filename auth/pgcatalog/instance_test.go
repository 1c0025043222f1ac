package pgcatalog

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestPredecessorAfter(t *testing.T) {
	tests := []struct {
		heartbeat, grace, want time.Duration
	}{
		{10 * time.Second, 30 * time.Second, 15 * time.Second},
		{200 * time.Millisecond, time.Second, 300 * time.Millisecond},
		// Never later than the grace, after which anyone reaps it anyway.
		{time.Second, 1200 * time.Millisecond, 1200 * time.Millisecond},
	}
	for _, tt := range tests {
		c := &Catalog{cfg: Config{Heartbeat: tt.heartbeat, HeartbeatGrace: tt.grace}}
		if got := c.predecessorAfter(); got != tt.want {
			t.Errorf("heartbeat %v, grace %v: predecessorAfter = %v, want %v", tt.heartbeat, tt.grace, got, tt.want)
		}
	}
}

func TestDefaultInstance(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	name := defaultInstance()
	if want := host + "/" + strconv.Itoa(os.Getpid()); name != want {
		t.Errorf("defaultInstance() = %q, want %q", name, want)
	}
}

// Each process start gets its own id even under an unchanged name, which is
// what tells a restarted replica from its predecessor.
func TestInstanceIDsDiffer(t *testing.T) {
	a, err := New(Config{DSN: "postgres://u@127.0.0.1:1/db", Heartbeat: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := New(Config{DSN: "postgres://u@127.0.0.1:1/db", Heartbeat: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.inst.id == b.inst.id || len(a.inst.id) < 20 {
		t.Errorf("instance ids %q and %q", a.inst.id, b.inst.id)
	}
	if a.cfg.Instance != b.cfg.Instance {
		t.Errorf("names %q and %q differ within one process", a.cfg.Instance, b.cfg.Instance)
	}
}
