package main

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/goguacd/goguacd/protocol"
)

// TestMain lets tests run the real main in a child process (the test binary
// re-executed), to check exit codes and signal handling.
func TestMain(m *testing.M) {
	if os.Getenv("GOGUACD_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	os.Exit(m.Run())
}

func TestParseGuacdConf(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     guacdConf
		err      string
	}{
		{name: "full", in: "# comment\n[server]\nbind_host = 0.0.0.0\nbind_port = 4823 # trailing\n[daemon]\npid_file = \"/run/g d.pid\"\nlog_level = debug\n[ssl]\nserver_certificate = /c.pem\nserver_key = \"/k\\\"ey.pem\"\n",
			want: guacdConf{BindHost: "0.0.0.0", BindPort: "4823", PIDFile: "/run/g d.pid", LogLevel: "debug", Cert: "/c.pem", Key: `/k"ey.pem`}},
		{name: "unknown section", in: "[client]\nx = 1\n", err: `guacd.conf:1: unknown section "client"`},
		{name: "unknown key", in: "[server]\nbind_addr = x\n", err: `guacd.conf:2: unknown key "bind_addr" in [server]`},
		{name: "no section", in: "bind_host = x\n", err: `guacd.conf:1: "bind_host" outside a section`},
		{name: "no equals", in: "[server]\nbind_host\n", err: "guacd.conf:2: expected name = value"},
		{name: "unterminated quote", in: "[server]\nbind_host = \"abc\n", err: "guacd.conf:2: bind_host: unterminated quoted value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseGuacdConf(strings.NewReader(tc.in), "guacd.conf")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestSettingsPrecedence(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "guacd.conf")
	os.WriteFile(conf, []byte("[server]\nbind_host = 127.0.0.2\nbind_port = 5000\n[daemon]\nlog_level = debug\n"), 0o600)
	yml := filepath.Join(dir, "goguacd.yaml")
	os.WriteFile(yml, []byte("log_level: error\nadmin:\n  listen: \"\"\n"), 0o600)

	o, err := parseFlags([]string{"-guacd-conf", conf, "-config", yml, "-l", "6000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := settings(o)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Guacd.Listen != "127.0.0.2:6000" || cfg.LogLevel != "error" || cfg.Admin.Listen != "" {
		t.Fatalf("got %+v", cfg)
	}
}

func TestConfigErrorsNameKeyAndFile(t *testing.T) {
	dir := t.TempDir()
	yml := filepath.Join(dir, "bad.yaml")
	os.WriteFile(yml, []byte("guacd:\n  listn: 1.2.3.4:1\n"), 0o600)
	o, _ := parseFlags([]string{"-config", yml, "-guacd-conf", "/dev/null"}, io.Discard)
	_, err := settings(o)
	if err == nil || !strings.Contains(err.Error(), yml) || !strings.Contains(err.Error(), "listn") || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("error %v should name the file, the line and the key", err)
	}
	o, _ = parseFlags([]string{"-L", "loud", "-guacd-conf", "/dev/null"}, io.Discard)
	if _, err := settings(o); err == nil || !strings.Contains(err.Error(), "loud") {
		t.Fatalf("bad log level: %v", err)
	}
	o, _ = parseFlags([]string{"-C", "/x.pem", "-guacd-conf", "/dev/null"}, io.Discard)
	if _, err := settings(o); err == nil {
		t.Fatal("certificate without key accepted")
	}
}

// daemon is goguacd running in a child process.
type daemon struct {
	cmd        *exec.Cmd
	guacd      string
	admin      string
	stderr     *syncBuffer
	exited     chan error
	stderrDone chan struct{}
}

var addrRE = regexp.MustCompile(`msg="(guacd|admin) listener ready" addr=(\S+)`)

func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-b", "127.0.0.1", "-l", "0", "-guacd-conf", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "GOGUACD_RUN_MAIN=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan error, 1), stderrDone: make(chan struct{})}
	found := make(chan struct{})
	go func() {
		defer close(d.stderrDone)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			d.stderr.WriteString(line + "\n")
			if m := addrRE.FindStringSubmatch(line); m != nil {
				if m[1] == "guacd" {
					d.guacd = m[2]
				} else {
					d.admin = m[2]
					close(found)
				}
			}
		}
	}()
	select {
	case <-found:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("daemon did not start:\n%s", d.stderr)
	}
	go func() { <-d.stderrDone; d.exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	return d
}

func (d *daemon) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-d.exited:
	case <-time.After(20 * time.Second):
		t.Fatalf("daemon did not exit:\n%s", d.stderr)
	}
	return d.cmd.ProcessState.ExitCode()
}

func TestDaemonServesAndDrains(t *testing.T) {
	d := startDaemon(t, "-config", writeFile(t, "admin:\n  listen: 127.0.0.1:0\nweb:\n  listen: \"\"\nshutdown_grace: 5s\n"))
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + d.admin + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", path, err, resp)
		}
		resp.Body.Close()
	}
	// A refused handshake is answered with an error and counted.
	nc, err := net.Dial("tcp", d.guacd)
	if err != nil {
		t.Fatal(err)
	}
	nc.Write(protocol.AppendInstruction(nil, "select", "nosuchprotocol"))
	r := protocol.NewReader(nc)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	in, err := r.ReadInstruction()
	if err != nil || !in.Is("error") || string(in.Args[1]) != "256" {
		t.Fatalf("got %v %v", in, err)
	}
	nc.Close()
	resp, err := http.Get("http://" + d.admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `goguacd_handshake_failures_total{reason="unknown_protocol"} 1`) {
		t.Fatalf("metrics missing the refusal:\n%s", body)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(t); code != exitOK {
		t.Fatalf("exit code %d after SIGTERM:\n%s", code, d.stderr)
	}
	if !strings.Contains(d.stderr.String(), "draining") {
		t.Fatalf("no drain logged:\n%s", d.stderr)
	}
}

func TestDaemonFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{args: []string{"-v"}, code: exitOK, out: "goguacd version"},
		{args: []string{"-nosuchflag"}, code: exitUsage, out: "flag provided but not defined"},
		{args: []string{"-l", "notaport", "-guacd-conf", "/dev/null"}, code: exitUsage, out: "not a port number"},
	} {
		cmd := exec.Command(os.Args[0], tc.args...)
		cmd.Env = append(os.Environ(), "GOGUACD_RUN_MAIN=1")
		out, _ := cmd.CombinedOutput()
		if cmd.ProcessState.ExitCode() != tc.code || !strings.Contains(string(out), tc.out) {
			t.Errorf("%v: exit %d, output %q; want %d, %q", tc.args, cmd.ProcessState.ExitCode(), out, tc.code, tc.out)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "goguacd.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDaemonSecondSignalForcesExit(t *testing.T) {
	d := startDaemon(t, "-config", writeFile(t, "admin:\n  listen: 127.0.0.1:0\nweb:\n  listen: \"\"\nshutdown_grace: 60s\n"))
	// A client in the middle of its handshake keeps the drain waiting.
	nc, err := net.Dial("tcp", d.guacd)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	time.Sleep(100 * time.Millisecond)
	d.cmd.Process.Signal(syscall.SIGTERM)
	for i := 0; i < 100 && !strings.Contains(d.stderr.String(), "draining"); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	d.cmd.Process.Signal(syscall.SIGINT)
	if code := d.wait(t); code != exitForced {
		t.Fatalf("exit code %d after a second signal, want %d:\n%s", code, exitForced, d.stderr)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) WriteString(v string) {
	s.mu.Lock()
	s.b.WriteString(v)
	s.mu.Unlock()
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The embedded default (no -config): the web client lists the demo desktop
// and the demo terminal, and both open through the WebSocket tunnel and draw.
func TestEmbeddedDefault(t *testing.T) {
	d := startDaemon(t, "-web", "127.0.0.1:0")
	web := regexp.MustCompile(`msg="web client ready" addr=(\S+)`).FindStringSubmatch(d.stderr.String())
	if web == nil {
		t.Fatalf("no web listener:\n%s", d.stderr)
	}
	resp, err := http.Get("http://" + web[1] + "/api/connections")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`"demo-desktop"`, `"demo-terminal"`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("connections %s lack %s", body, want)
		}
	}
	if strings.Contains(string(body), "password") {
		t.Fatalf("connection list shows a secret: %s", body)
	}
	for _, id := range []string{"demo-desktop", "demo-terminal"} {
		url := "ws://" + web[1] + "/websocket-tunnel?GUAC_ID=" + id + "&GUAC_TYPE=c&GUAC_WIDTH=800&GUAC_HEIGHT=600&GUAC_DPI=96&GUAC_IMAGE=image/png"
		c, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Sec-WebSocket-Protocol": {"guacamole"}})
		if err != nil {
			var why []byte
			if resp != nil {
				why, _ = io.ReadAll(resp.Body)
			}
			t.Fatalf("%s: %v: %s", id, err, why)
		}
		var p protocol.Parser
		imgs := 0
		deadline := time.Now().Add(20 * time.Second)
		for imgs == 0 && time.Now().Before(deadline) {
			c.SetReadDeadline(deadline)
			_, msg, err := c.ReadMessage()
			if err != nil {
				t.Fatalf("%s: %v (stderr:\n%s)", id, err, d.stderr)
			}
			for b := msg; len(b) > 0; {
				ins, n, err := p.Next(b)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				b = b[n:]
				switch {
				case ins.Is("img"):
					imgs++
				case ins.Is("error"):
					t.Fatalf("%s: error %s %s", id, ins.Arg(0), ins.Arg(1))
				}
			}
		}
		c.Close()
		if imgs == 0 {
			t.Fatalf("%s drew nothing", id)
		}
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	if code := d.wait(t); code != exitOK {
		t.Fatalf("exit %d", code)
	}
}

// guacd.conf parsing never panics, and whatever it accepts has only
// known keys set (every value came from a known key).
func FuzzParseGuacdConf(f *testing.F) {
	f.Add("[server]\nbind_host = 0.0.0.0\nbind_port = \"4822\" # x\n[ssl]\nserver_key = /k\n")
	f.Add("[daemon]\nlog_level = debug\npid_file = \"/run/\\\"g\"\n")
	f.Add("[client]\n")
	f.Add("key = \"unterminated\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := parseGuacdConf(strings.NewReader(in), "fuzz.conf")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.conf:") && !strings.Contains(err.Error(), "token too long") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		_ = c
	})
}
