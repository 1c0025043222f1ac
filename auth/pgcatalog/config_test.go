package pgcatalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

func TestConfigDefaults(t *testing.T) {
	f := false
	hostname, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host := fmt.Sprintf("%s/%d", hostname, os.Getpid())
	tests := []struct {
		name    string
		in      Config
		want    Config
		wantErr string
	}{
		{"defaults", Config{DSN: "x"}, Config{DSN: "x", MaxConns: 4, QueryTimeout: 3 * time.Second, CacheTTL: time.Second,
			Instance: host, Heartbeat: 10 * time.Second, HeartbeatGrace: 30 * time.Second}, ""},
		{"cache off", Config{DSN: "x", CacheTTL: -1, RequireUser: &f}, Config{DSN: "x", MaxConns: 4, QueryTimeout: 3 * time.Second, CacheTTL: 0, RequireUser: &f,
			Instance: host, Heartbeat: 10 * time.Second, HeartbeatGrace: 30 * time.Second}, ""},
		{"kept", Config{DSN: "x", MaxConns: 9, QueryTimeout: time.Second, CacheTTL: 2 * time.Second, Instance: "r1", Heartbeat: time.Second, HeartbeatGrace: 5 * time.Second},
			Config{DSN: "x", MaxConns: 9, QueryTimeout: time.Second, CacheTTL: 2 * time.Second, Instance: "r1", Heartbeat: time.Second, HeartbeatGrace: 5 * time.Second}, ""},
		{"grace follows heartbeat", Config{DSN: "x", Heartbeat: 200 * time.Millisecond},
			Config{DSN: "x", MaxConns: 4, QueryTimeout: 3 * time.Second, CacheTTL: time.Second, Instance: host, Heartbeat: 200 * time.Millisecond, HeartbeatGrace: 600 * time.Millisecond}, ""},
		{"cleanup off", Config{DSN: "x", Heartbeat: -1, HeartbeatGrace: time.Second},
			Config{DSN: "x", MaxConns: 4, QueryTimeout: 3 * time.Second, CacheTTL: time.Second, Instance: host, Heartbeat: -1}, ""},
		{"no dsn", Config{}, Config{}, "dsn is required"},
		{"cache too long", Config{DSN: "x", CacheTTL: 3 * time.Second}, Config{}, "exceeds"},
		{"negative", Config{DSN: "x", QueryTimeout: -1}, Config{}, "negative"},
		{"grace too short", Config{DSN: "x", Heartbeat: time.Second, HeartbeatGrace: time.Second}, Config{}, "must exceed"},
		{"grace negative", Config{DSN: "x", HeartbeatGrace: -time.Second}, Config{}, "must exceed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.withDefaults()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.in.RequireUser == nil {
				if got.RequireUser == nil || !*got.RequireUser {
					t.Errorf("RequireUser default = %v, want true", got.RequireUser)
				}
				got.RequireUser = nil
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestConfigYAML(t *testing.T) {
	var c Config
	src := "dsn: postgres://g@db/guacamole_db\nmax_conns: 8\nquery_timeout: 1500ms\ncache_ttl: 2s\nrequire_user: false\n" +
		"instance: goguacd-0\nheartbeat: 5s\nheartbeat_grace: 20s\n"
	if err := yaml.Unmarshal([]byte(src), &c); err != nil {
		t.Fatal(err)
	}
	if c.DSN != "postgres://g@db/guacamole_db" || c.MaxConns != 8 || c.QueryTimeout != 1500*time.Millisecond ||
		c.CacheTTL != 2*time.Second || c.RequireUser == nil || *c.RequireUser ||
		c.Instance != "goguacd-0" || c.Heartbeat != 5*time.Second || c.HeartbeatGrace != 20*time.Second {
		t.Errorf("decoded %+v", c)
	}
}

func TestNewBadDSN(t *testing.T) {
	if _, err := New(Config{DSN: "postgres://u:hunter2@host:notaport/db"}, nil); err == nil {
		t.Fatal("New accepted a bad DSN")
	} else if strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error leaks the password: %v", err)
	}
}

// TestUnreachable needs no server: nothing listens on port 1, so every call
// must fail with ErrUnavailable rather than hang or panic.
func TestUnreachable(t *testing.T) {
	c, err := New(Config{DSN: "postgres://u@127.0.0.1:1/db?sslmode=disable", QueryTimeout: 2 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	id := auth.Identity{Username: "alice"}
	if _, err := c.List(ctx, id); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("List: %v, want ErrUnavailable", err)
	}
	if _, err := c.Get(ctx, id, "1"); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("Get: %v, want ErrUnavailable", err)
	}
	if _, err := c.Get(ctx, id, "nope"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get bad id: %v, want ErrNotFound without asking the database", err)
	}
	if _, err := c.Acquire(ctx, id, catalog.Connection{ID: "1"}, "127.0.0.1:5"); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("Acquire: %v, want ErrUnavailable", err)
	}
	if _, err := c.Acquire(ctx, id, catalog.Connection{ID: "g:1"}, ""); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Acquire group id: %v, want ErrNotFound", err)
	}
}

func TestRemoteHost(t *testing.T) {
	tests := []struct{ in, want string }{
		{"203.0.113.5:4444", "203.0.113.5"},
		{"[2001:db8::1]:443", "2001:db8::1"},
		{"203.0.113.5", "203.0.113.5"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := remoteHost(tt.in); got != tt.want {
			t.Errorf("remoteHost(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abc", 3, "abc"},
		{"abcdef", 3, "abc"},
		{"ééé", 2, "éé"},
		{"", 0, ""},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}
