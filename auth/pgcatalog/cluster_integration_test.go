//go:build integration

package pgcatalog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// The integration tests share one throwaway cluster started by
// scripts/pg-test-cluster.sh; each test gets its own database.

const clusterScript = "../../scripts/pg-test-cluster.sh"

var adminDSN string // the shared cluster's "postgres" database

func init() {
	integrationSetup = func() (func(), error) {
		dir, dsn, err := startCluster()
		if err != nil {
			return nil, err
		}
		adminDSN = dsn
		return func() { stopCluster(dir); os.RemoveAll(dir) }, nil
	}
}

// startCluster creates and starts a cluster in a new directory.
func startCluster() (dir, dsn string, err error) {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		return "", "", errors.New("pgcatalog integration tests need PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): apt-get install postgresql")
	}
	dir, err = os.MkdirTemp("", "pgcatalog-")
	if err != nil {
		return "", "", err
	}
	// As root the cluster runs as the postgres user, which must reach dir.
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", "", err
	}
	port, err := freePort()
	if err != nil {
		return "", "", err
	}
	dsn, err = runScript("start", dir, fmt.Sprint(port))
	return dir, dsn, err
}

func restartCluster(dir string) error {
	port, err := os.ReadFile(filepath.Join(dir, "port"))
	if err != nil {
		return err
	}
	_, err = runScript("start", dir, strings.TrimSpace(string(port)))
	return err
}

func stopCluster(dir string) error {
	_, err := runScript("stop", dir)
	return err
}

func runScript(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, clusterScript, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", clusterScript, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

var dbSeq atomic.Int32

// newDatabase creates an empty database with the Guacamole schema on the
// cluster behind clusterDSN and returns its DSN and an open connection.
func newDatabase(t testing.TB, clusterDSN string) (string, *pgx.Conn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, clusterDSN)
	if err != nil {
		t.Fatalf("connect to test cluster: %v", err)
	}
	defer admin.Close(ctx)
	name := fmt.Sprintf("guac_%d_%d", os.Getpid(), dbSeq.Add(1))
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(clusterDSN)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsn := u.String()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("connect to %s: %v", name, err)
	}
	t.Cleanup(func() { db.Close(context.Background()) })
	schema, err := os.ReadFile("testdata/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	// No arguments: pgx uses the simple protocol, which runs the whole file.
	if _, err := db.Exec(ctx, string(schema)); err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return dsn, db
}

// logBuffer collects a Catalog's log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
