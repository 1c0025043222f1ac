//go:build integration

package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/goguacd/goguacd/backends/vnc/rfbtest"
)

// Two goguacd processes sharing one Guacamole PostgreSQL database (a
// throwaway Debian cluster): a browser opens a connection on replica 0, a
// second user joins it read-only through replica 1, and both sessions are
// in the shared connection history while they run.
func TestTwoReplicasSharingOneDatabase(t *testing.T) {
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb"); len(m) == 0 {
		t.Fatal("PostgreSQL server binaries missing: apt-get install postgresql")
	}
	dir, err := os.MkdirTemp("", "goguacd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755) // as root the cluster runs as the postgres user
	t.Cleanup(func() { pgScript(t, "stop", dir); os.RemoveAll(dir) })
	dsn := pgScript(t, "start", dir, strconv.Itoa(freeTCPPort(t)))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	schema, err := os.ReadFile("../../auth/pgcatalog/testdata/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ctx, string(schema)); err != nil {
		t.Fatalf("schema: %v", err)
	}
	rs, err := rfbtest.NewServer(rfbtest.Options{Width: 64, Height: 48})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	host, port := rs.Addr()[:strings.LastIndexByte(rs.Addr(), ':')], rs.Addr()[strings.LastIndexByte(rs.Addr(), ':')+1:]
	var user, connID int32
	if err := db.QueryRow(ctx, `INSERT INTO guacamole_entity (name, type) VALUES ('tester@localhost', 'USER') RETURNING entity_id`).Scan(&user); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO guacamole_user (entity_id, password_hash, password_date) VALUES ($1, '\x00', now())`, user)
	if err := db.QueryRow(ctx, `INSERT INTO guacamole_connection (connection_name, protocol) VALUES ('Desk', 'vnc') RETURNING connection_id`).Scan(&connID); err != nil {
		t.Fatal(err)
	}
	mustExec(t, db, `INSERT INTO guacamole_connection_parameter VALUES ($1, 'hostname', $2), ($1, 'port', $3)`, connID, host, port)
	mustExec(t, db, `INSERT INTO guacamole_connection_permission VALUES ($1, $2, 'READ')`, user, connID)

	secret := filepath.Join(dir, "cluster-secret")
	os.WriteFile(secret, []byte("a-long-shared-cluster-secret\n"), 0o600)
	ports := []int{freeTCPPort(t), freeTCPPort(t)}
	var webs []string
	for i, p := range ports {
		cfg := fmt.Sprintf("admin:\n  listen: \"\"\nweb:\n  listen: 127.0.0.1:0\nauth:\n  dev_user: tester@localhost\n"+
			"catalog:\n  postgres:\n    dsn: %q\n"+
			"cluster:\n  advertise: 127.0.0.1:%d\n  peers: [\"127.0.0.1:%d\", \"127.0.0.1:%d\"]\n  secret_file: %s\n",
			dsn, p, ports[0], ports[1], secret)
		f := filepath.Join(t.TempDir(), fmt.Sprintf("p%d.yaml", i))
		os.WriteFile(f, []byte(cfg), 0o600)
		webs = append(webs, startDaemonWeb(t, "-config", f, "-l", strconv.Itoa(p)))
	}
	id := strconv.Itoa(int(connID))
	_, active := wsOpen(t, webs[0], "GUAC_ID="+id+"&GUAC_TYPE=c&GUAC_DATA_SOURCE=postgresql&GUAC_WIDTH=640&GUAC_HEIGHT=480&GUAC_IMAGE=image/png")
	_, joined := wsOpen(t, webs[1], "GUAC_ID="+active+"&GUAC_TYPE=a&GUAC_SHARE=ro&GUAC_WIDTH=640&GUAC_HEIGHT=480&GUAC_IMAGE=image/png")
	if joined != active {
		t.Fatalf("joined %s, want %s", joined, active)
	}
	var open int
	if err := db.QueryRow(ctx, `SELECT count(*) FROM guacamole_connection_history WHERE connection_id = $1 AND end_date IS NULL`, connID).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if open != 2 {
		t.Fatalf("%d open history rows, want 2 (one per user, written by two replicas)", open)
	}
}

func pgScript(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, "../../scripts/pg-test-cluster.sh", args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("pg-test-cluster.sh %v: %v: %s", args, err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

func mustExec(t *testing.T, db *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := db.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
