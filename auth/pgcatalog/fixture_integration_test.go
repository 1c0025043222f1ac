//go:build integration

package pgcatalog

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// fixture writes rows the way an operator's Guacamole web app would.
type fixture struct {
	t  testing.TB
	db *pgx.Conn
}

func (f fixture) scalar(sql string, args ...any) int32 {
	f.t.Helper()
	var id int32
	if err := f.db.QueryRow(context.Background(), sql, args...).Scan(&id); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return id
}

func (f fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
}

// user adds a USER entity and account and returns the entity id.
func (f fixture) user(name string) int32 {
	f.t.Helper()
	e := f.scalar(`INSERT INTO guacamole_entity (name, type) VALUES ($1, 'USER') RETURNING entity_id`, name)
	f.exec(`INSERT INTO guacamole_user (entity_id, password_hash, password_date) VALUES ($1, '\x00', now())`, e)
	return e
}

// userSet updates one guacamole_user column of the user with entity e.
// column is a literal from the test, never input.
func (f fixture) userSet(e int32, column string, value any) {
	f.t.Helper()
	f.exec(`UPDATE guacamole_user SET `+pgx.Identifier{column}.Sanitize()+` = $2 WHERE entity_id = $1`, e, value)
}

// group adds a USER_GROUP and returns its entity id.
func (f fixture) group(name string, disabled bool) int32 {
	f.t.Helper()
	e := f.scalar(`INSERT INTO guacamole_entity (name, type) VALUES ($1, 'USER_GROUP') RETURNING entity_id`, name)
	f.exec(`INSERT INTO guacamole_user_group (entity_id, disabled) VALUES ($1, $2)`, e, disabled)
	return e
}

// member puts the entity member into the group with entity id group.
func (f fixture) member(group, member int32) {
	f.t.Helper()
	f.exec(`INSERT INTO guacamole_user_group_member (user_group_id, member_entity_id)
	        SELECT user_group_id, $2 FROM guacamole_user_group WHERE entity_id = $1`, group, member)
}

// folder adds a connection group; parent 0 = root, typ ORGANIZATIONAL or BALANCING.
func (f fixture) folder(name string, parent int32, typ string) int32 {
	f.t.Helper()
	return f.scalar(`INSERT INTO guacamole_connection_group (connection_group_name, parent_id, type)
	                 VALUES ($1, NULLIF($2, 0), $3::guacamole_connection_group_type) RETURNING connection_group_id`, name, parent, typ)
}

// conn adds a connection; parent 0 = root.
func (f fixture) conn(name string, parent int32, protocol string, params map[string]string) int32 {
	f.t.Helper()
	id := f.scalar(`INSERT INTO guacamole_connection (connection_name, parent_id, protocol)
	                VALUES ($1, NULLIF($2, 0), $3) RETURNING connection_id`, name, parent, protocol)
	for k, v := range params {
		f.exec(`INSERT INTO guacamole_connection_parameter VALUES ($1, $2, $3)`, id, k, v)
	}
	return id
}

func (f fixture) grant(entity, conn int32, perm string) {
	f.t.Helper()
	f.exec(`INSERT INTO guacamole_connection_permission VALUES ($1, $2, $3)`, entity, conn, perm)
}

func (f fixture) grantFolder(entity, group int32) {
	f.t.Helper()
	f.exec(`INSERT INTO guacamole_connection_group_permission VALUES ($1, $2, 'READ')`, entity, group)
}

func (f fixture) grantSystem(entity int32, perm string) {
	f.t.Helper()
	f.exec(`INSERT INTO guacamole_system_permission VALUES ($1, $2)`, entity, perm)
}

func (f fixture) profile(conn int32, name string, params map[string]string) int32 {
	f.t.Helper()
	id := f.scalar(`INSERT INTO guacamole_sharing_profile (sharing_profile_name, primary_connection_id)
	                VALUES ($1, $2) RETURNING sharing_profile_id`, name, conn)
	for k, v := range params {
		f.exec(`INSERT INTO guacamole_sharing_profile_parameter VALUES ($1, $2, $3)`, id, k, v)
	}
	return id
}

func (f fixture) grantProfile(entity, profile int32) {
	f.t.Helper()
	f.exec(`INSERT INTO guacamole_sharing_profile_permission VALUES ($1, $2, 'READ')`, entity, profile)
}

// openSessions adds n open history rows on conn, as other instances would.
func (f fixture) openSessions(conn int32, n int) {
	f.t.Helper()
	for range n {
		f.exec(`INSERT INTO guacamole_connection_history (username, connection_id, connection_name, start_date)
		        VALUES ('someone', $1, 'x', now())`, conn)
	}
}

type opt func(*Config)

func noCache(c *Config)      { c.CacheTTL = -1 }
func allowUnknown(c *Config) { f := false; c.RequireUser = &f }

// newCatalog opens a Catalog on dsn whose log goes to the returned buffer.
func newCatalog(t testing.TB, dsn string, opts ...opt) (*Catalog, *logBuffer) {
	t.Helper()
	// Generous: the race detector and a shared machine slow queries down, and
	// a timeout here would be reported as ErrUnavailable, not as slowness.
	cfg := Config{DSN: dsn, QueryTimeout: 15 * time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	logs := &logBuffer{}
	c, err := New(cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, logs
}

// eventually polls cond every 50 ms, at most n times.
func eventually(t testing.TB, n int, what string, cond func() bool) {
	t.Helper()
	for range n {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: condition not reached after %d polls", what, n)
}
