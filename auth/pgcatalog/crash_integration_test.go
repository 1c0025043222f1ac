//go:build integration

package pgcatalog

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

// beats sets a short heartbeat and grace and names the instance.
func beats(name string, heartbeat, grace time.Duration) opt {
	return func(c *Config) { c.Instance, c.Heartbeat, c.HeartbeatGrace = name, heartbeat, grace }
}

// abandon stops c the way SIGKILL would, as far as the database can tell:
// no more heartbeats, no cleanup.
func abandon(c *Catalog) {
	c.abandoned = true
	c.Close()
}

func acquire(t *testing.T, c *Catalog, user string, conn int32) func() {
	t.Helper()
	rel, err := c.Acquire(context.Background(), auth.Identity{Username: user}, catalog.Connection{ID: fmt.Sprint(conn)}, "127.0.0.1:1")
	if err != nil {
		t.Fatalf("Acquire %d as %s: %v", conn, user, err)
	}
	return rel
}

// openRows counts open history rows on conn.
func (f fixture) openRows(conn int32) int32 {
	f.t.Helper()
	return f.scalar(`SELECT count(*)::integer FROM guacamole_connection_history WHERE connection_id = $1 AND end_date IS NULL`, conn)
}

// ghost registers a dead instance (silent for a day) holding n open,
// tracked history rows on conn, as a killed replica leaves behind. One
// statement, so the live instances' reapers see all of it or nothing.
func (f fixture) ghost(id string, conn int32, n int) {
	f.t.Helper()
	f.exec(`WITH i AS (
	            INSERT INTO goguacd_instance (instance_id, name, started, heartbeat)
	            VALUES ($1, $1, now() - interval '2 days', now() - interval '1 day')
	        ), h AS (
	            INSERT INTO guacamole_connection_history (username, connection_id, connection_name, start_date)
	            SELECT 'ghost', $2, 'x', now() - interval '25 hours' FROM generate_series(1, $3::integer)
	            RETURNING history_id)
	        INSERT INTO goguacd_open_history SELECT history_id, $1 FROM h`, id, conn, n)
}

func TestCrashedInstanceCleanedUp(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	lab := f.conn("lab", 0, "vnc", nil)
	f.exec(`UPDATE guacamole_connection SET max_connections = 2 WHERE connection_id = $1`, web)
	f.user("alice")
	ctx := context.Background()

	a, _ := newCatalog(t, dsn, noCache, beats("a", 200*time.Millisecond, time.Second))
	acquire(t, a, "alice", web)
	acquire(t, a, "alice", web)
	if _, err := a.Acquire(ctx, auth.Identity{Username: "alice"}, catalog.Connection{ID: fmt.Sprint(web)}, ""); !errors.Is(err, catalog.ErrTooMany) {
		t.Fatalf("third session: %v, want ErrTooMany", err)
	}
	// A session that starts after the instance's last heartbeat (here: by
	// its clock an hour ahead) must not end before it started.
	a.now = func() time.Time { return time.Now().Add(time.Hour) }
	acquire(t, a, "alice", lab)
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history WHERE instance_id = $1`, a.inst.id); n != 3 {
		t.Fatalf("%d tracked rows, want 3", n)
	}
	// Let a heartbeat pass after the web sessions started, so their end is
	// the heartbeat, not their start.
	eventually(t, 400, "heartbeat after the sessions started", func() bool {
		return f.scalar(`SELECT count(*)::integer FROM goguacd_instance
		                  WHERE instance_id = $1 AND heartbeat > (SELECT max(start_date) FROM guacamole_connection_history WHERE connection_id = $2)`,
			a.inst.id, web) == 1
	})
	abandon(a)
	var last time.Time
	if err := db.QueryRow(ctx, `SELECT heartbeat FROM goguacd_instance WHERE instance_id = $1`, a.inst.id).Scan(&last); err != nil {
		t.Fatalf("heartbeat of the abandoned instance: %v", err)
	}
	if n := f.openRows(web); n != 2 {
		t.Fatalf("%d open rows right after the crash, want 2", n)
	}

	b, logs := newCatalog(t, dsn, noCache, beats("b", 200*time.Millisecond, time.Second))
	eventually(t, 400, "dead instance's rows closed", func() bool { return f.openRows(web) == 0 && f.openRows(lab) == 0 })
	rows, err := db.Query(ctx, `SELECT connection_id, start_date, end_date FROM guacamole_connection_history`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			conn       int32
			start, end time.Time
		)
		if err := rows.Scan(&conn, &start, &end); err != nil {
			t.Fatal(err)
		}
		want := last
		if conn == lab {
			want = start
		}
		if !end.Equal(want) {
			t.Errorf("connection %d: end_date %v, want %v (start %v, last heartbeat %v)", conn, end, want, start, last)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_instance WHERE instance_id = $1`, a.inst.id); n != 0 {
		t.Errorf("dead instance still registered")
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history`); n != 0 {
		t.Errorf("%d tracked rows left, want 0", n)
	}
	if !strings.Contains(logs.String(), "closed history rows of a dead goguacd instance") || !strings.Contains(logs.String(), "rows=3") {
		t.Errorf("log lacks the cleanup:\n%s", logs)
	}
	// max_connections counts only open rows: the slots are free again.
	acquire(t, b, "alice", web)
	acquire(t, b, "alice", web)
}

func TestLiveInstanceUntouched(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	a, _ := newCatalog(t, dsn, noCache, beats("a", 200*time.Millisecond, time.Second))
	b, _ := newCatalog(t, dsn, noCache, beats("b", 200*time.Millisecond, time.Second))
	relA := acquire(t, a, "alice", web)
	relB := acquire(t, b, "alice", web)
	// Several dead ghosts, reaped one after the other, prove the live
	// instances ran their cleanup many times meanwhile.
	for i := range 5 {
		f.ghost(fmt.Sprintf("ghost-%d", i), web, 1)
		eventually(t, 400, "ghost reaped", func() bool { return f.openRows(web) == 2 })
	}
	for _, c := range []*Catalog{a, b} {
		if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history o
		                    JOIN guacamole_connection_history h USING (history_id)
		                   WHERE o.instance_id = $1 AND h.end_date IS NULL`, c.inst.id); n != 1 {
			t.Errorf("instance %s: %d open tracked rows, want 1", c.cfg.Instance, n)
		}
	}
	relA()
	relB()
	if n := f.openRows(web); n != 0 {
		t.Errorf("%d open rows after release, want 0", n)
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history`); n != 0 {
		t.Errorf("%d tracked rows after release, want 0", n)
	}
}

// An instance presumed dead (silent past the grace, e.g. cut off from the
// database) loses its open rows but keeps working once it is back.
func TestPresumedDeadInstanceRecovers(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	// a beats once at start and then not for an hour, like a stalled process.
	a, logs := newCatalog(t, dsn, noCache, beats("a", time.Hour, 2*time.Hour))
	acquire(t, a, "alice", web)
	f.exec(`UPDATE goguacd_instance SET heartbeat = now() - interval '10 seconds' WHERE instance_id = $1`, a.inst.id)
	newCatalog(t, dsn, noCache, beats("b", 200*time.Millisecond, time.Second))
	eventually(t, 400, "stalled instance reaped", func() bool { return f.openRows(web) == 0 })

	rel := acquire(t, a, "alice", web) // re-registers through the tracking insert
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history WHERE instance_id = $1`, a.inst.id); n != 1 {
		t.Errorf("%d tracked rows after re-registering, want 1", n)
	}
	rel()
	// The heartbeat re-registers too, and says why.
	f.exec(`DELETE FROM goguacd_instance WHERE instance_id = $1`, a.inst.id)
	if !a.beat() {
		t.Fatal("beat stopped")
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_instance WHERE instance_id = $1`, a.inst.id); n != 1 {
		t.Errorf("instance not re-registered by its heartbeat")
	}
	if !strings.Contains(logs.String(), "presumed dead") {
		t.Errorf("log lacks the warning:\n%s", logs)
	}
}

var reapedRows = regexp.MustCompile(`closed history rows of a dead goguacd instance.* rows=(\d+)`)

func TestRacingReapers(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	// Long heartbeats: the test drives reap itself, from many goroutines.
	var (
		cats []*Catalog
		logs []*logBuffer
	)
	for i := range 3 {
		c, l := newCatalog(t, dsn, noCache, beats(fmt.Sprint("r", i), time.Hour, 2*time.Hour))
		if _, err := c.tracking(context.Background()); err != nil {
			t.Fatal(err)
		}
		cats, logs = append(cats, c), append(logs, l)
	}
	const rounds, ghosts, perGhost = 5, 4, 25
	for r := range rounds {
		for g := range ghosts {
			f.ghost(fmt.Sprintf("ghost-%d-%d", r, g), web, perGhost)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4*len(cats))
		for range 4 {
			for _, c := range cats {
				wg.Go(func() { errs <- c.reap(context.Background()) })
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("round %d: reap: %v", r, err)
			}
		}
		// A ghost another reaper had locked (the catalogs' own first
		// heartbeat may still be at it) was skipped, not waited for.
		eventually(t, 400, fmt.Sprint("round ", r, " all closed"), func() bool { return f.openRows(web) == 0 })
	}
	total := 0
	for _, l := range logs {
		for _, m := range reapedRows.FindAllStringSubmatch(l.String(), -1) {
			n, _ := strconv.Atoi(m[1])
			total += n
		}
	}
	if want := rounds * ghosts * perGhost; total != want {
		t.Errorf("reapers report %d rows closed, want each of %d closed exactly once", total, want)
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_instance WHERE instance_id LIKE 'ghost-%'`); n != 0 {
		t.Errorf("%d ghosts left", n)
	}
}

// A record being written for an instance (its foreign key check holds a
// share lock on the instance row) is waited out, not lost: the reaper skips
// the instance and gets it, record included, on a later beat.
func TestReapSkipsInstanceInUse(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	// No heartbeat goroutine: the test alone decides when reaping happens.
	c, _ := newCatalog(t, dsn, noCache, beats("r", -1, 0))
	c.cfg.Heartbeat, c.cfg.HeartbeatGrace = time.Hour, 2*time.Hour
	ctx := context.Background()
	if err := c.setup(ctx); err != nil {
		t.Fatal(err)
	}
	f.ghost("ghost", web, 1)
	other, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(ctx)
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `WITH h AS (
	        INSERT INTO guacamole_connection_history (username, connection_id, connection_name, start_date)
	        VALUES ('late', $1, 'x', now() - interval '25 hours') RETURNING history_id)
	    INSERT INTO goguacd_open_history SELECT history_id, 'ghost' FROM h`, web); err != nil {
		t.Fatal(err)
	}
	if err := c.reap(ctx); err != nil {
		t.Fatalf("reap while the instance is in use: %v", err)
	}
	if n := f.openRows(web); n != 1 {
		t.Fatalf("%d open rows, want the ghost's committed one still open (instance skipped)", n)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.reap(ctx); err != nil {
		t.Fatal(err)
	}
	if n := f.openRows(web); n != 0 {
		t.Errorf("%d open rows after the second reap, want 0", n)
	}
}

func TestNoPrivilegeRunsWithoutCleanup(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	role := fmt.Sprintf("limited_%d_%d", os.Getpid(), dbSeq.Add(1))
	f.exec(`CREATE ROLE ` + role + ` LOGIN`)
	f.exec(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`)
	f.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ` + role)
	f.exec(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ` + role)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	limited := u.String()

	c, logs := newCatalog(t, limited, noCache, beats("lim", 200*time.Millisecond, time.Second))
	for range 3 {
		rel := acquire(t, c, "alice", web)
		if n := f.openRows(web); n != 1 {
			t.Fatalf("%d open rows, want 1", n)
		}
		rel()
		if n := f.openRows(web); n != 0 {
			t.Fatalf("%d open rows after release, want 0", n)
		}
	}
	if n := strings.Count(logs.String(), "crash cleanup disabled"); n != 1 {
		t.Errorf("warning logged %d times, want once:\n%s", n, logs)
	}
	if n := f.scalar(`SELECT count(*)::integer FROM pg_class WHERE relname LIKE 'goguacd%'`); n != 0 {
		t.Errorf("%d goguacd relations created without the privilege", n)
	}

	// Tables a DBA created (here: a privileged instance) and granted are
	// used without the CREATE privilege.
	admin, _ := newCatalog(t, dsn, noCache)
	if on, err := admin.tracking(context.Background()); !on || err != nil {
		t.Fatalf("privileged instance: tracking %v, %v", on, err)
	}
	f.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON goguacd_instance, goguacd_open_history TO ` + role)
	c2, logs2 := newCatalog(t, limited, noCache, beats("lim2", 200*time.Millisecond, time.Second))
	rel := acquire(t, c2, "alice", web)
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history WHERE instance_id = $1`, c2.inst.id); n != 1 {
		t.Errorf("%d tracked rows with pre-created tables, want 1:\n%s", n, logs2)
	}
	rel()
}

func TestCloseLeavesNothing(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	c, err := New(Config{DSN: dsn, CacheTTL: -1, QueryTimeout: 15 * time.Second, Heartbeat: 200 * time.Millisecond},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	acquire(t, c, "alice", web)()
	acquire(t, c, "alice", web) // never released: Close must end it
	c.Close()
	if n := f.openRows(web); n != 0 {
		t.Errorf("%d open rows after Close, want 0", n)
	}
	if n := f.scalar(`SELECT ((SELECT count(*) FROM goguacd_instance) + (SELECT count(*) FROM goguacd_open_history))::integer`); n != 0 {
		t.Errorf("%d goguacd rows after Close, want 0", n)
	}
}

// A restarted process with the same instance name cleans up after its
// killed predecessor without waiting for the grace.
func TestRestartCleansPredecessor(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	a, _ := newCatalog(t, dsn, noCache, beats("pod-0", 200*time.Millisecond, time.Hour))
	acquire(t, a, "alice", web)
	abandon(a)
	newCatalog(t, dsn, noCache, beats("pod-0", 200*time.Millisecond, time.Hour))
	eventually(t, 400, "predecessor's row closed well before the one-hour grace", func() bool { return f.openRows(web) == 0 })
}

// Environment of the child process in TestKilledProcess.
const (
	childDSN  = "PGCATALOG_CHILD_DSN"
	childConn = "PGCATALOG_CHILD_CONN"
)

// The test binary doubles as the replica TestKilledProcess kills. This runs
// before TestMain, so the child starts no cluster of its own.
func init() {
	dsn := os.Getenv(childDSN)
	if dsn == "" {
		return
	}
	c, err := New(Config{DSN: dsn, Instance: "child", Heartbeat: 200 * time.Millisecond, HeartbeatGrace: time.Second,
		QueryTimeout: 15 * time.Second}, slog.New(slog.DiscardHandler))
	if err == nil {
		_, err = c.Acquire(context.Background(), auth.Identity{Username: "alice"}, catalog.Connection{ID: os.Getenv(childConn)}, "")
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("open", c.inst.id)
	// Bounded, in case the parent dies before killing us.
	time.Sleep(time.Minute)
	os.Exit(2)
}

func TestKilledProcess(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	_, logs := newCatalog(t, dsn, noCache, beats("parent", 200*time.Millisecond, time.Second))

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childDSN+"="+dsn, childConn+"="+fmt.Sprint(web))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
	}()
	var got string
	select {
	case got = <-line:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("child did not open its session")
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no cleanup runs
		t.Fatal(err)
	}
	cmd.Wait()
	childID, ok := strings.CutPrefix(strings.TrimSpace(got), "open ")
	if !ok {
		t.Fatalf("child: %q", got)
	}
	if n := f.scalar(`SELECT count(*)::integer FROM goguacd_open_history WHERE instance_id = $1`, childID); n != 1 {
		t.Fatalf("child tracked %d rows, want 1", n)
	}
	eventually(t, 400, "killed process's row closed", func() bool { return f.openRows(web) == 0 })
	if n := f.scalar(`SELECT count(*)::integer FROM guacamole_connection_history WHERE end_date < start_date OR end_date > now()`); n != 0 {
		t.Errorf("end_date outside [start_date, now]")
	}
	if !strings.Contains(logs.String(), "instance=child") {
		t.Errorf("log lacks the cleanup of the child:\n%s", logs)
	}
}
