//go:build integration

package auth

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// guacamoleLiteDir finds an installed guacamole-lite package:
// $GOGUACD_GUACAMOLE_LITE, else /tmp/guacamole-lite/node_modules/guacamole-lite.
func guacamoleLiteDir(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node not found: install the Debian package nodejs (and npm)")
	}
	dir := os.Getenv("GOGUACD_GUACAMOLE_LITE")
	if dir == "" {
		dir = "/tmp/guacamole-lite/node_modules/guacamole-lite"
	}
	if _, err := os.Stat(filepath.Join(dir, "lib", "Crypt.js")); err != nil {
		t.Fatalf("guacamole-lite not found at %s: run `mkdir -p /tmp/guacamole-lite && cd /tmp/guacamole-lite && npm install guacamole-lite@1.2.0` or set GOGUACD_GUACAMOLE_LITE (%v)", dir, err)
	}
	return dir
}

// runNode runs script with guacamole-lite's Crypt module as CRYPT and the
// given environment, returning stdout.
func runNode(t *testing.T, dir, script string, env ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "-e",
		"const Crypt = require(process.env.CRYPT_JS); const crypt = new Crypt('AES-256-CBC', process.env.KEY);"+script)
	cmd.Env = append(os.Environ(), append(env, "CRYPT_JS="+filepath.Join(dir, "lib", "Crypt.js"), "KEY="+string(testTokenKey))...)
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("node: %v\n%s", err, stderr)
	}
	return strings.TrimSpace(string(out))
}

// TestTokenGuacamoleLite checks both directions against guacamole-lite's own
// Crypt module: tokens it makes decrypt in Go, and tokens Go makes decrypt there.
func TestTokenGuacamoleLite(t *testing.T) {
	dir := guacamoleLiteDir(t)
	payload := `{"connection":{"type":"rdp","settings":{"hostname":"10.0.0.12","port":3389,"username":"Administrator","password":"pa+ss/wörd","security":"any","ignore-cert":true,"audio":["audio/L16"]}}}`

	tok := runNode(t, dir, "process.stdout.write(crypt.encrypt(JSON.parse(process.env.PAYLOAD)));", "PAYLOAD="+payload)
	p, err := DecryptToken(testTokenKey, tok)
	if err != nil {
		t.Fatalf("DecryptToken(guacamole-lite token): %v", err)
	}
	want := map[string]string{"hostname": "10.0.0.12", "port": "3389", "username": "Administrator",
		"password": "pa+ss/wörd", "security": "any", "ignore-cert": "true", "audio": "audio/L16"}
	if p.Connection.Type != "rdp" || !maps.Equal(p.Connection.Params(), want) {
		t.Fatalf("decrypted %+v, want params %v", p, want)
	}

	// The other way round, with ASCII settings: guacamole-lite decodes the
	// plaintext as "ascii", which mangles other characters on its side.
	var ascii TokenPayload
	if err := json.Unmarshal([]byte(`{"connection":{"type":"vnc","settings":{"hostname":"127.0.0.1","port":"5901","password":"x+y/z"}}}`), &ascii); err != nil {
		t.Fatal(err)
	}
	goTok, err := EncryptToken(testTokenKey, ascii)
	if err != nil {
		t.Fatal(err)
	}
	out := runNode(t, dir, "process.stdout.write(JSON.stringify(crypt.decrypt(process.env.TOKEN)));", "TOKEN="+goTok)
	var back TokenPayload
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatalf("guacamole-lite output %q: %v", out, err)
	}
	if back.Connection.Type != "vnc" || !maps.Equal(back.Connection.Params(), ascii.Connection.Params()) {
		t.Fatalf("guacamole-lite decrypted %+v, want %+v", back, ascii)
	}
}
