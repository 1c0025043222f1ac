package ssh

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goguacd/goguacd/protocol"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// matches pumps until the viewer's screen equals a fresh render of
// everything the shell wrote, prefixed by local (prompt) output.
func matches(t *testing.T, v *viewer, ts *testServer, local string) bool {
	t.Helper()
	cols, rows := gridFor(t, viewW, viewH)
	return v.pump(30*time.Second, func() bool {
		_, img := reference(t, cols, rows, append([]byte(local), ts.output()...))
		return sameRGB(v.canvas.Image(), img)
	})
}

func TestEchoEndToEnd(t *testing.T) {
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	dir := t.TempDir()
	v := connect(t, addr, map[string]string{
		"hostname": "127.0.0.1", "port": ts.port(), "username": "alice", "password": "secret",
		"host-key": ts.hostLine(), "locale": "fr_FR.UTF-8",
		"typescript-path": dir, "typescript-name": "ts",
	})
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "$ ") }) {
		t.Fatalf("shell did not start (errors %v)", v.errs)
	}
	v.typeText("echo hello\r")
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "hello\r\n$ ") }) {
		t.Fatalf("server output %q", ts.output())
	}
	if !matches(t, v, ts, "") {
		t.Fatalf("screen differs from a fresh render of the shell output %q", ts.output())
	}
	cols, rows := gridFor(t, viewW, viewH)
	tm, _ := reference(t, cols, rows, ts.output())
	if got := strings.Split(tm.String(), "\n")[1]; got != "hello" {
		t.Fatalf("grid row 1 = %q, want hello", got)
	}
	// PTY and environment, as guacd sets them.
	ts.mu.Lock()
	term, env := ts.term, ts.env
	ts.mu.Unlock()
	if term != "linux" || !slices.Contains(env, "LANG=fr_FR.UTF-8") || !slices.Contains(env, "TZ=Europe/Paris") {
		t.Fatalf("TERM %q env %v", term, env)
	}
	// OSC title → name.
	v.typeText("title my box\r")
	if !v.pump(30*time.Second, func() bool { return slices.Contains(v.names, "my box") }) {
		t.Fatalf("names %v", v.names)
	}
	// exit ends the connection normally and closes the typescript.
	v.typeText("exit\r")
	if !v.pump(30*time.Second, func() bool { return v.ended }) {
		t.Fatal("no disconnect after exit")
	}
	if len(v.errs) > 0 {
		t.Fatalf("errors %v", v.errs)
	}
	checkTypescript(t, filepath.Join(dir, "ts"), ts.output())
}

// checkTypescript waits for the footer, then checks the data file holds
// header + output + footer and the timing lines add up to the output.
func checkTypescript(t *testing.T, name string, out []byte) {
	t.Helper()
	var data []byte
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		data, _ = os.ReadFile(name)
		if strings.HasSuffix(string(data), typescriptFooter) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	want := typescriptHeader + string(out) + typescriptFooter
	if string(data) != want {
		t.Fatalf("typescript %q, want %q", data, want)
	}
	timing, err := os.ReadFile(name + ".timing")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^\d+\.\d{6} (\d+)$`)
	total := 0
	for _, l := range strings.Split(strings.TrimSuffix(string(timing), "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("timing line %q", l)
		}
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != len(out) {
		t.Fatalf("timing covers %d bytes, output is %d", total, len(out))
	}
}

func TestConnectFailures(t *testing.T) {
	ts := startServer(t, serverAuth{password: "secret"})
	other := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	closed := deadPort(t)
	for _, tc := range []struct {
		name   string
		params map[string]string
		status string
	}{
		{"wrong password", map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "alice", "password": "nope"}, "769"},
		{"host key mismatch", map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "alice", "password": "secret", "host-key": other.hostLine()}, "512"},
		{"refused", map[string]string{"hostname": "127.0.0.1", "port": closed, "username": "a", "password": "b"}, "519"},
		{"no hostname", map[string]string{}, "768"},
		{"bad host-key", map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "a", "password": "b", "host-key": "garbage"}, "768"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := connect(t, addr, tc.params)
			v.pump(15*time.Second, func() bool { return len(v.errs) > 0 })
			if len(v.errs) == 0 || !strings.HasSuffix(v.errs[0], " "+tc.status) {
				t.Fatalf("errors %v, want status %s", v.errs, tc.status)
			}
		})
	}
}

func deadPort(t *testing.T) string {
	t.Helper()
	ln, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().String()
	ln.Close()
	return p[strings.LastIndexByte(p, ':')+1:]
}

func TestPromptsForCredentials(t *testing.T) {
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "host-key": ts.hostLine()})
	if !matches(t, v, ts, "Login as: ") {
		t.Fatal("no Login as: prompt")
	}
	v.typeText("alicx")
	v.key(0xFF08, true) // BackSpace edits the answer
	v.key(0xFF08, false)
	v.typeText("e\r")
	if !matches(t, v, ts, "Login as: alice\r\nPassword: ") {
		t.Fatal("no Password: prompt after the username")
	}
	v.typeText("secret\r") // not echoed
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "$ ") }) {
		t.Fatalf("shell did not start (errors %v)", v.errs)
	}
	if !matches(t, v, ts, "Login as: alice\r\nPassword: \r\n") {
		t.Fatal("screen after login differs")
	}
	ts.mu.Lock()
	users := ts.users
	ts.mu.Unlock()
	if !slices.Equal(users, []string{"alice"}) {
		t.Fatalf("users %v", users)
	}
}

func TestResizeSendsWindowChange(t *testing.T) {
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	v := connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "u", "password": "secret"})
	if !ts.waitFor(10*time.Second, func() bool { return len(ts.windows) > 0 }) {
		t.Fatal("no pty")
	}
	cols, rows := gridFor(t, viewW, viewH)
	ts.mu.Lock()
	first := ts.windows[0]
	ts.mu.Unlock()
	if first.Width != cols || first.Height != rows {
		t.Fatalf("pty %dx%d, want %dx%d", first.Width, first.Height, cols, rows)
	}
	v.send(protocol.AppendInstruction(nil, "size", "400", "300"))
	c2, r2 := gridFor(t, 400, 300)
	if !ts.waitFor(10*time.Second, func() bool {
		w := ts.windows[len(ts.windows)-1]
		return w.Width == c2 && w.Height == r2
	}) {
		t.Fatalf("windows %v, want %dx%d", ts.windows, c2, r2)
	}
	if !v.pump(30*time.Second, func() bool {
		img := v.canvas.Image()
		return img != nil && img.Rect.Dx() < 400 && img.Rect.Dy() < 300
	}) {
		t.Fatalf("display not resized: %v", v.canvas.Image().Rect)
	}
}

// A user joining later gets the full screen, then the same updates.
func TestJoinGetsState(t *testing.T) {
	v, ts := startEcho(t, nil)
	if !v.pump(30*time.Second, func() bool { return v.id != "" }) {
		t.Fatal("no ready")
	}
	addr := v.nc.RemoteAddr().String()
	w := connectAs(t, addr, v.id, map[string]string{"read-only": "true"})
	if !matches(t, w, ts, "") {
		t.Fatal("joiner's screen differs")
	}
	v.typeText("echo again\r")
	if !ts.waitFor(10*time.Second, func() bool { return strings.Contains(ts.out.String(), "again\r\n$ ") }) {
		t.Fatalf("server output %q", ts.output())
	}
	if !matches(t, w, ts, "") || !matches(t, v, ts, "") {
		t.Fatal("screens differ after more output")
	}
	// The read-only joiner's keys never reach the server.
	w.typeText("zzz")
	v.typeText("y")
	ts.waitFor(5*time.Second, func() bool { return strings.HasSuffix(ts.in.String(), "y") })
	if strings.Contains(ts.input(), "z") {
		t.Fatalf("read-only input reached the server: %q", ts.input())
	}
}

// server-alive-interval sends OpenSSH keepalives (1 is raised to 2 s).
func TestServerAliveInterval(t *testing.T) {
	ts := startServer(t, serverAuth{password: "secret"})
	addr := startGoguacd(t)
	connect(t, addr, map[string]string{"hostname": "127.0.0.1", "port": ts.port(), "username": "u", "password": "secret",
		"server-alive-interval": "1"})
	if !ts.waitFor(10*time.Second, func() bool { return ts.keepalives > 0 }) {
		t.Fatal("no keepalive within 10 s")
	}
}
