//go:build integration

package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
	"github.com/goguacd/goguacd/backends"
	"github.com/goguacd/goguacd/backends/backendtest"
	"github.com/goguacd/goguacd/backends/vnc"
	"github.com/goguacd/goguacd/backends/vnc/demo"
	"github.com/goguacd/goguacd/protocol"
	"github.com/goguacd/goguacd/tunnel"
	"github.com/goguacd/goguacd/tunnel/ws"
	"github.com/goguacd/goguacd/web"
)

// oneUserCatalog lets everyone open "blue" and "flaky" and nobody open
// "secret".
type oneUserCatalog map[string]catalog.Connection

func (c oneUserCatalog) List(context.Context, auth.Identity) ([]catalog.Connection, error) {
	return []catalog.Connection{c["blue"], c["flaky"]}, nil
}

func (c oneUserCatalog) Get(_ context.Context, _ auth.Identity, id string) (catalog.Connection, error) {
	switch conn, ok := c[id]; {
	case !ok:
		return catalog.Connection{}, catalog.ErrNotFound
	case id == "secret":
		return catalog.Connection{}, catalog.ErrForbidden
	default:
		return conn, nil
	}
}

// TestBrowser drives Debian's chromium (playwright-core from web/node_modules)
// through the page and both tunnels, with the test backend drawing blue.
func TestBrowser(t *testing.T) {
	defer goleak.VerifyNone(t)
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("%s is missing: apt-get install -y chromium (%v)", chromium, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is missing: apt-get install -y nodejs")
	}
	if _, err := os.Stat("node_modules/playwright-core"); err != nil {
		t.Fatal("web/node_modules is missing: run scripts/web-assets.sh")
	}

	be := backendtest.New()
	reg := &backends.Registry{}
	reg.Register("test", be)
	// "down" is a desktop that cannot be reached.
	down := backendtest.New()
	down.OpenErr = &protocol.StatusError{Status: protocol.StatusUpstreamUnavailable, Message: "Desktop is down."}
	reg.Register("down", down)
	// The built-in demo desktop through the real VNC backend.
	reg.Register("vnc", vnc.New())
	desk, err := demo.Start(context.Background(), demo.Config{Width: 1024, Height: 768})
	if err != nil {
		t.Fatal(err)
	}
	defer desk.Close()
	_, demoPort, _ := net.SplitHostPort(desk.Addr())
	srv := tunnel.NewServer(tunnel.Config{Backends: reg})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	authn, err := auth.NewDevUser("alice", ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	cat := oneUserCatalog{
		"blue":   {ID: "blue", Name: "Blue desktop", Protocol: "test", Params: map[string]string{"color": "0000ff", "width": "320", "height": "240"}},
		"secret": {ID: "secret", Name: "Secret", Protocol: "test"},
		"flaky":  {ID: "flaky", Name: "Flaky", Protocol: "down"},
		"demo":   {ID: "demo", Name: "Demo desktop", Protocol: "vnc", Params: map[string]string{"hostname": "127.0.0.1", "port": demoPort}},
	}
	const base = "/guacamole"
	tunnels := ws.New(ws.Config{Server: srv, Auth: authn, Catalog: cat, BasePath: base})
	page := web.New(web.Config{Auth: authn, Catalog: cat, BasePath: base})
	if !page.HasBundle() {
		t.Fatal("the guacamole-common-js bundle is not embedded: run scripts/web-assets.sh")
	}
	mux := http.NewServeMux()
	mux.Handle(base+"/websocket-tunnel", tunnels)
	mux.Handle(base+"/tunnel", tunnels)
	mux.Handle(base+"/", page)
	hs := &http.Server{Handler: mux}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		tunnels.Close()
		_ = hs.Shutdown(ctx)
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join("test", "browser.mjs"), "http://"+ln.Addr().String()+base+"/")
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("browser run failed: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	type session struct {
		Transport, ConnID string
		UTF16             bool
	}
	var res struct {
		WS, Fallback, HTTP session
		Denied             string
		Retries            []int
		Demo               string
	}
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &res); err != nil {
		t.Fatalf("browser output: %v\n%s", err, out)
	}
	t.Logf("browser: %s", lines[len(lines)-1])
	if res.Demo != "drawn" {
		t.Errorf("demo desktop over VNC: %q", res.Demo)
	}
	if !res.WS.UTF16 {
		t.Errorf("npm guacamole-common-js 1.5.0 should be detected as counting UTF-16 units")
	}
	if res.WS.Transport != "ws" || res.Fallback.Transport != "http" || res.HTTP.Transport != "http" {
		t.Errorf("transports: %+v", res)
	}

	for _, code := range res.Retries {
		if code != int(protocol.StatusUpstreamUnavailable) {
			t.Errorf("retries saw status %d, want %d", code, protocol.StatusUpstreamUnavailable)
		}
	}

	// Every typed key reached the backend, over each tunnel, and so did
	// the clipboard.
	pressed := map[string]bool{}
	clipboard := ""
	for {
		select {
		case in := <-be.Inputs:
			if in.Opcode == "key" && len(in.Args) == 2 && in.Args[1] == "1" {
				pressed[in.Args[0]] = true
			}
			if in.Opcode == "blob" && len(in.Args) == 2 {
				b, _ := base64.StdEncoding.DecodeString(in.Args[1])
				clipboard += string(b)
			}
			continue
		default:
		}
		break
	}
	for _, text := range []string{"ws", "fb", "hp"} {
		for _, r := range text {
			if !pressed[strconv.Itoa(int(r))] {
				t.Errorf("key %q (typed over %q) never reached the backend; got %v", r, text, pressed)
			}
		}
	}
	if clipboard != "copied from the browser" {
		t.Errorf("clipboard reached the backend as %q", clipboard)
	}
}
