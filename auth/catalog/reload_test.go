package catalog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/auth"
)

// syncBuffer is a log sink safe to read while Run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	catalogV1 = "connections:\n  - {id: one, protocol: vnc, params: {password: pw-v1}}\ndefaults: {connections: [one]}\n"
	catalogV2 = "connections:\n  - {id: one, protocol: vnc}\n  - {id: two, protocol: ssh}\ndefaults: {connections: [one, two]}\n"
	// catalogBad references a connection that does not exist, on line 3.
	catalogBad = "connections:\n  - {id: one, protocol: vnc, params: {password: pw-bad}}\ndefaults: {connections: [one,\n  three]}\n"
)

var anyone = auth.Identity{Username: "someone@example.com"}

// writeCatalog writes data with a distinct mtime so change detection never
// depends on the file system's timestamp granularity.
func writeCatalog(t *testing.T, path, data string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func listIDs(t *testing.T, c Catalog) string {
	t.Helper()
	list, err := c.List(context.Background(), anyone)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(ids(list), ",")
}

// waitFor polls cond for up to 10 s; the reloader polls every 5 ms.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for range 2000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestReloaderWatchesFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	writeCatalog(t, path, catalogV1, base)
	logs := &syncBuffer{}
	r, err := NewReloader(path, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r.PollInterval = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { r.Run(ctx) })
	defer func() { cancel(); wg.Wait() }()

	if got := listIDs(t, r); got != "one" {
		t.Fatalf("initial = %q", got)
	}

	writeCatalog(t, path, catalogV2, base.Add(time.Second))
	waitFor(t, "reload of v2", func() bool { return listIDs(t, r) == "one,two" })

	// A broken edit keeps the last good catalog and logs the line once.
	writeCatalog(t, path, catalogBad, base.Add(2*time.Second))
	waitFor(t, "load error logged", func() bool { return strings.Contains(logs.String(), "line=4") })
	if got := listIDs(t, r); got != "one,two" {
		t.Fatalf("after broken edit = %q, want last good", got)
	}
	if !strings.Contains(logs.String(), "line=4") || !strings.Contains(logs.String(), `unknown connection \"three\"`) {
		t.Fatalf("log lacks line and reason: %s", logs.String())
	}
	if _, err := r.LastReload(); err == nil {
		t.Fatal("LastReload reports success after a broken edit")
	}
	time.Sleep(50 * time.Millisecond) // ~10 more polls of the unchanged broken file
	if n := strings.Count(logs.String(), "line=4"); n != 1 {
		t.Fatalf("broken file logged %d times, want once until it changes", n)
	}
	if strings.Contains(logs.String(), "pw-") {
		t.Fatalf("log leaks a password: %s", logs.String())
	}

	// Fixing the file is picked up.
	writeCatalog(t, path, catalogV1, base.Add(3*time.Second))
	waitFor(t, "reload after fix", func() bool { return listIDs(t, r) == "one" })
	waitFor(t, "success recorded", func() bool { _, err := r.LastReload(); return err == nil })

	// A vanished file keeps the catalog too.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "missing file logged", func() bool { return strings.Contains(logs.String(), "no such file") })
	if got := listIDs(t, r); got != "one" {
		t.Fatalf("after removal = %q", got)
	}
}

// TestReloaderReload covers the SIGHUP path: Reload reads the file even if
// its mtime and size did not change, and reports errors to the caller.
func TestReloaderReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.yaml")
	mtime := time.Now().Add(-time.Hour).Truncate(time.Second)
	writeCatalog(t, path, catalogV1, mtime)
	var logs bytes.Buffer
	r, err := NewReloader(path, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// Same size, same mtime, different content: only an explicit Reload sees it.
	same := strings.Replace(catalogV1, "id: one", "id: uno", 1)
	same = strings.Replace(same, "[one]", "[uno]", 1)
	if len(same) != len(catalogV1) {
		t.Fatal("test bug: sizes differ")
	}
	writeCatalog(t, path, same, mtime)
	r.poll()
	r.poll()
	if got := listIDs(t, r); got != "one" {
		t.Fatalf("poll reloaded an unchanged stamp: %q", got)
	}
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, r); got != "uno" {
		t.Fatalf("after Reload = %q", got)
	}

	writeCatalog(t, path, catalogBad, mtime)
	err = r.Reload()
	var le *LoadError
	if !errors.As(err, &le) || le.Line != 4 {
		t.Fatalf("Reload err = %v, want LoadError on line 4", err)
	}
	if got := listIDs(t, r); got != "uno" {
		t.Fatalf("after failed Reload = %q, want last good", got)
	}
	if !strings.Contains(logs.String(), "line=4") {
		t.Fatalf("failed Reload not logged with line: %s", logs.String())
	}
}

func TestNewReloaderNeedsGoodFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	writeCatalog(t, bad, catalogBad, time.Now())
	if _, err := NewReloader(bad, slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("broken first file accepted")
	}
	if _, err := NewReloader(filepath.Join(dir, "missing.yaml"), slog.New(slog.DiscardHandler)); err == nil {
		t.Fatal("missing file accepted")
	}
}
