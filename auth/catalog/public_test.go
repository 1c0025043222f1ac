package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goguacd/goguacd/auth"
)

// exampleSecrets are the secret values in testdata/example.yaml.
var exampleSecrets = []string{"vnc-pass-1", "ssh-key-secret-2", "ssh-pass-3"}

func assertNoSecrets(t *testing.T, what, s string, secrets ...string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Fatalf("%s leaks %q: %s", what, sec, s)
		}
	}
}

func TestIsSecretParam(t *testing.T) {
	tests := []struct {
		name   string
		secret bool
	}{
		{"password", true}, {"passphrase", true}, {"private-key", true},
		{"sftp-password", true}, {"sftp-private-key", true}, {"sftp-passphrase", true},
		{"Password", true}, {"gateway-password", true}, {"client-secret", true}, {"api-token", true},
		{"public-key", true}, // hidden too: better safe than sorry
		{"host-key", false}, {"sftp-host-key", false},
		{"hostname", false}, {"port", false}, {"username", false}, {"read-only", false}, {"color-depth", false},
	}
	for _, tt := range tests {
		if got := IsSecretParam(tt.name); got != tt.secret {
			t.Errorf("IsSecretParam(%q) = %v, want %v", tt.name, got, tt.secret)
		}
	}
}

func TestPublicHidesSecrets(t *testing.T) {
	f := loadExample(t)
	list, err := f.List(context.Background(), auth.Identity{Username: "carol@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	var pubs []PublicConnection
	for _, c := range list {
		pubs = append(pubs, c.Public())
	}
	js, err := json.Marshal(pubs)
	if err != nil {
		t.Fatal(err)
	}
	assertNoSecrets(t, "public JSON", string(js), exampleSecrets...)
	for _, want := range []string{`"id":"shell"`, `"hostname":"build.internal"`, `"host-key":"ssh-ed25519`, `"read-only":"true"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("public JSON lacks %s: %s", want, js)
		}
	}
	if strings.Contains(string(js), "password") || strings.Contains(string(js), "private-key") {
		t.Errorf("public JSON names secret params: %s", js)
	}

	// Logging or printing a full Connection must not leak either.
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	for _, c := range list {
		log.Info("opening", "conn", c)
		fmt.Fprintf(&logs, "%v %+v %#v %s\n", c, c, c, c)
	}
	assertNoSecrets(t, "logs", logs.String(), exampleSecrets...)
	if !strings.Contains(logs.String(), `"id":"desktop"`) {
		t.Errorf("log lacks the connection id: %s", logs.String())
	}
}

// TestLoadErrorsHideSecrets breaks files right where secrets are and checks
// that neither the error nor the reload log quotes them.
func TestLoadErrorsHideSecrets(t *testing.T) {
	const sec = "hunter2-very-secret"
	docs := []string{
		"connections:\n  - id: a\n    protocol: vnc\n    params: {password: " + sec + "}\n    proxy_port: " + sec + "\n",
		"connections:\n  - id: a\n    protocol: vnc\n    params:\n      password: [" + sec + "]\n",
		"connections:\n  - id: a\n    protocol: vnc\n    params: {password: " + sec + "}\nusers:\n  bob: {admin: " + sec + "}\n",
		"connections:\n  - id: a\n    protocol: vnc\n    params: {password: \"" + sec + "}\n",
		"connections:\n  - id: a\n    protocol: " + sec + "x\n    params: {password: " + sec + "}\n",
	}
	for i, doc := range docs {
		path := filepath.Join(t.TempDir(), "cat.yaml")
		if err := os.WriteFile(path, []byte("connections: []\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		r, err := NewReloader(path, slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
		err = r.Reload()
		if err == nil {
			t.Fatalf("doc %d loaded", i)
		}
		assertNoSecrets(t, fmt.Sprintf("doc %d error", i), err.Error(), sec)
		assertNoSecrets(t, fmt.Sprintf("doc %d log", i), logs.String(), sec)
	}
}
