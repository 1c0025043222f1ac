package passthrough

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/protocol"
)

func TestConnectValues(t *testing.T) {
	params := backends.Params{"hostname": "h", "port": "3389", "recording-path": "/rec", "password": "p"}
	tests := []struct {
		name        string
		args        []string
		user        protocol.Version
		wantVersion protocol.Version
		want        []string
	}{
		{"by name in guacd's order", []string{"VERSION_1_5_0", "port", "password", "hostname", "unknown"},
			protocol.Version150, protocol.Version150, []string{"VERSION_1_5_0", "3389", "p", "h", ""}},
		{"older user", []string{"VERSION_1_5_0", "hostname"},
			protocol.Version110, protocol.Version110, []string{"VERSION_1_1_0", "h"}},
		{"older guacd", []string{"VERSION_1_3_0", "hostname"},
			protocol.Version150, protocol.Version130, []string{"VERSION_1_3_0", "h"}},
		{"newer guacd", []string{"VERSION_9_9_9", "hostname"},
			protocol.Version150, protocol.Version150, []string{"VERSION_1_5_0", "h"}},
		{"guacd 1.0 sends no version", []string{"hostname", "port"},
			protocol.Version150, protocol.Version100, []string{"h", "3389"}},
		{"unknown user version counts as 1.0", []string{"VERSION_1_5_0"},
			protocol.VersionUnknown, protocol.Version100, []string{"VERSION_1_0_0"}},
		{"recording stays on goguacd's side", []string{"VERSION_1_5_0", "recording-path", "hostname"},
			protocol.Version150, protocol.Version150, []string{"VERSION_1_5_0", "", "h"}},
		{"no args at all", nil, protocol.Version150, protocol.Version100, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var args [][]byte
			for _, a := range tt.args {
				args = append(args, []byte(a))
			}
			v, got := connectValues(args, tt.user, params)
			if v != tt.wantVersion || !slices.Equal(got, tt.want) {
				t.Fatalf("got %v %q, want %v %q", v, got, tt.wantVersion, tt.want)
			}
		})
	}
}

func FuzzConnectValues(f *testing.F) {
	f.Add("VERSION_1_5_0,port,hostname", 0x010500)
	f.Add("hostname,port", 0x010100)
	f.Add("VERSION_9_9_9,recording-path", 0)
	f.Fuzz(func(t *testing.T, list string, user int) {
		var args [][]byte
		for _, a := range strings.Split(list, ",") {
			args = append(args, []byte(a))
		}
		v, vals := connectValues(args, protocol.Version(user), backends.Params{"port": "1"})
		if len(vals) != len(args) {
			t.Fatalf("%d values for %d args", len(vals), len(args))
		}
		if v < protocol.Version100 || v > protocol.VersionLatest {
			t.Fatalf("negotiated %v", v)
		}
		if strings.HasPrefix(list, "VERSION_") && vals[0] != v.String() {
			t.Fatalf("version element %q, negotiated %v", vals[0], v)
		}
	})
}

func owner(params backends.Params, v protocol.Version) *fakeUser {
	return &fakeUser{id: "@owner", owner: true, params: params, info: backends.ClientInfo{
		Width: 1024, Height: 768, DPI: 120, Audio: []string{"audio/L16"}, Image: []string{"image/png", "image/jpeg"},
		Timezone: "Europe/Paris", Name: "Ada", Version: v,
	}}
}

func newBackend(t testing.TB, addr string, mod func(*Config)) *Backend {
	t.Helper()
	cfg := Config{Address: addr, Protocol: "rdp", DialTimeout: 5 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	b, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandshake(t *testing.T) {
	names := []string{"password", "recording-path", "port", "hostname", "width"}
	tests := []struct {
		name     string
		upstream string // version element guacd sends
		user     protocol.Version
		order    []string
		version  string
	}{
		{"1.5 both", protocol.Version1_5_0, protocol.Version150, []string{"size", "audio", "video", "image", "timezone", "name"}, "VERSION_1_5_0"},
		{"1.0 user", protocol.Version1_5_0, protocol.Version100, []string{"size", "audio", "video", "image"}, "VERSION_1_0_0"},
		{"1.1 guacd", protocol.Version1_1_0, protocol.Version150, []string{"size", "audio", "video", "image", "timezone"}, "VERSION_1_1_0"},
		{"guacd without versions", "", protocol.Version150, []string{"size", "audio", "video", "image"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newFakeGuacd(t, names)
			g.version = tt.upstream
			b := newBackend(t, g.addr(), nil)
			d := newFakeDisplay()
			u := owner(backends.Params{"hostname": "desk", "port": "3389", "password": "pw", "recording-path": "/r"}, tt.user)
			sess, err := b.Open(context.Background(), u, d)
			if err != nil {
				t.Fatal(err)
			}
			defer sess.Close()
			hs := g.handshakes()
			if len(hs) != 1 {
				t.Fatalf("%d handshakes", len(hs))
			}
			h := hs[0]
			if h.sel != "rdp" || h.version != tt.version || !slices.Equal(h.order, tt.order) {
				t.Fatalf("select %q version %q order %v", h.sel, h.version, h.order)
			}
			want := map[string]string{"hostname": "desk", "port": "3389", "password": "pw", "recording-path": "", "width": ""}
			for n, v := range want {
				if h.values[n] != v {
					t.Errorf("%s = %q, want %q", n, h.values[n], v)
				}
			}
			if !slices.Equal(h.size, []string{"1024", "768", "120"}) {
				t.Errorf("size %v", h.size)
			}
			if slices.Contains(tt.order, "name") && h.name != "Ada" || slices.Contains(tt.order, "timezone") && h.timezone != "Europe/Paris" {
				t.Errorf("timezone %q name %q", h.timezone, h.name)
			}
		})
	}
}

// rawUpstream accepts one connection and runs script on it.
func rawUpstream(t *testing.T, script func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		script(nc)
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

func TestOpenErrors(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	readSelect := func(nc net.Conn) {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = protocol.NewReader(nc).ReadInstruction()
	}
	tests := []struct {
		name   string
		addr   func(t *testing.T) string
		params backends.Params
		want   protocol.Status
	}{
		{"unreachable", func(*testing.T) string { return deadAddr }, nil, protocol.StatusUpstreamUnavailable},
		{"error instead of args", func(t *testing.T) string {
			return rawUpstream(t, func(nc net.Conn) {
				readSelect(nc)
				nc.Write(protocol.AppendError(nil, "Busy.", protocol.StatusServerBusy))
			})
		}, nil, protocol.StatusServerBusy},
		{"closed during handshake", func(t *testing.T) string {
			return rawUpstream(t, func(nc net.Conn) { readSelect(nc) })
		}, nil, protocol.StatusUpstreamError},
		{"silent guacd", func(t *testing.T) string {
			return rawUpstream(t, func(nc net.Conn) {
				readSelect(nc)
				_, _ = io.Copy(io.Discard, nc) // until goguacd gives up
			})
		}, nil, protocol.StatusUpstreamTimeout},
		{"error instead of ready", func(t *testing.T) string {
			return newFakeGuacd(t, []string{"hostname"}).addr()
		}, backends.Params{"hostname": "refuse"}, protocol.StatusUpstreamNotFound},
		{"garbage", func(t *testing.T) string {
			return rawUpstream(t, func(nc net.Conn) {
				readSelect(nc)
				nc.Write([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
			})
		}, nil, protocol.StatusUpstreamError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBackend(t, tt.addr(t), func(c *Config) { c.DialTimeout = 2 * time.Second })
			params := tt.params
			if params == nil {
				params = backends.Params{}
			}
			_, err := b.Open(context.Background(), owner(params, protocol.Version150), newFakeDisplay())
			var se *protocol.StatusError
			if !errors.As(err, &se) || se.Status != tt.want {
				t.Fatalf("got %v, want status %v", err, tt.want)
			}
		})
	}
}

func TestOpenCancelled(t *testing.T) {
	addr := rawUpstream(t, func(nc net.Conn) {
		_ = nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = protocol.NewReader(nc).ReadInstruction()
		_, _ = protocol.NewReader(nc).ReadInstruction() // blocks until the client gives up
	})
	b := newBackend(t, addr, nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := b.Open(ctx, owner(backends.Params{}, protocol.Version150), newFakeDisplay())
	var se *protocol.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("got %v, want a status error", err)
	}
}

func TestProxyParamsOverrideAddress(t *testing.T) {
	g := newFakeGuacd(t, []string{"hostname"})
	host, port, _ := net.SplitHostPort(g.addr())
	b := newBackend(t, "127.0.0.1:1", func(c *Config) { c.Args = []string{"hostname", ParamProxyHostname, ParamProxyPort} })
	if slices.Contains(b.Args(), ParamProxyHostname) || slices.Contains(b.Args(), ParamProxyPort) {
		t.Fatalf("proxy parameters announced: %v", b.Args())
	}
	sess, err := b.Open(context.Background(), owner(backends.Params{"hostname": "x", ParamProxyHostname: host, ParamProxyPort: port}, protocol.Version150), newFakeDisplay())
	if err != nil {
		t.Fatal(err)
	}
	sess.Close()
	if hs := g.handshakes(); len(hs) != 1 || hs[0].values["hostname"] != "x" {
		t.Fatalf("handshakes %+v", hs)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		args    []string
		wantErr bool
	}{
		{"rdp defaults", Config{Protocol: "rdp"}, RDPArgs, false},
		{"telnet", Config{Protocol: "telnet"}, TelnetArgs, false},
		{"kubernetes", Config{Protocol: "kubernetes"}, KubernetesArgs, false},
		{"explicit args", Config{Protocol: "spice", Args: []string{"hostname"}}, []string{"hostname"}, false},
		{"unknown protocol", Config{Protocol: "spice"}, nil, true},
		{"no protocol", Config{}, nil, true},
		{"join id as protocol", Config{Protocol: "$abc", Args: []string{}}, nil, true},
		{"bad address", Config{Protocol: "rdp", Address: "nocolon"}, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v", err)
			}
			if err == nil && !slices.Equal(b.Args(), tt.args) {
				t.Fatalf("args %v", b.Args())
			}
			if err == nil && b.cfg.Address != DefaultAddress && tt.cfg.Address == "" {
				t.Fatalf("address %q", b.cfg.Address)
			}
		})
	}
}
