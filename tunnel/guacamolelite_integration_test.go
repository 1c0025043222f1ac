//go:build integration

package tunnel

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// guacamole-lite 1.2.0 (npm) completes its handshake through goguacd to the
// test backend: it answers VERSION_1_1_0, sends timezone without arguments
// and no name, and relays input.
func TestGuacamoleLite(t *testing.T) {
	dir, _ := filepath.Abs("testdata/guacamole-lite")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "guacamole-lite")); err != nil {
		t.Fatalf("guacamole-lite is not installed (run `make deps`, which runs npm install in %s): %v", dir, err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node not found (Debian package nodejs): %v", err)
	}
	ts := newTestServer(t, nil)
	// guacamole-lite selects "vnc"; serve it with the test backend.
	ts.Backends().Register("vnc", ts.be)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, port, _ := strings.Cut(ts.addr, ":")
	cmd := exec.CommandContext(ctx, node, "run.js", port)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("guacamole-lite run failed: %v\n%s", err, strings.Join(lines, "\n"))
	}
	all := strings.Join(lines, "\n")
	if !strings.Contains(all, "TUNNEL 0.,37.$") {
		t.Errorf("no connection id announced:\n%s", all)
	}
	if !strings.Contains(all, "5.cfill,2.14,1.0,1.0,3.255,1.0,3.255;") {
		t.Errorf("the token's color setting did not reach the backend:\n%s", all)
	}
	if !strings.Contains(all, "SYNC-AFTER-KEY") || strings.Contains(all, "ERROR") {
		t.Errorf("session did not run cleanly:\n%s", all)
	}
	in := waitInput(t, ts, "key")
	if in.Args[0] != "97" {
		t.Errorf("key input %v", in)
	}
}
