package pgcatalog

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// MaxCacheTTL bounds Config.CacheTTL so operators' changes (a revoked
// permission, a disabled user) take effect within seconds.
const MaxCacheTTL = 2 * time.Second

// Config configures a Catalog. Unset fields take the defaults documented on
// each field.
type Config struct {
	// DSN is a libpq connection string or URL, e.g.
	// "postgres://guacamole@db:5432/guacamole_db". Required. Behind PgBouncer
	// in transaction mode add default_query_exec_mode=simple_protocol, since
	// pgx otherwise caches prepared statements per connection.
	DSN string `yaml:"dsn"`
	// MaxConns caps the pool's connections (default 4).
	MaxConns int32 `yaml:"max_conns"`
	// QueryTimeout bounds every query, including connecting (default 3s).
	QueryTimeout time.Duration `yaml:"query_timeout"`
	// CacheTTL is how long one identity's answer is reused (default 1s,
	// at most MaxCacheTTL). Set a negative value to query on every call.
	CacheTTL time.Duration `yaml:"cache_ttl"`
	// RequireUser refuses identities with no USER entity in the database
	// (default true). When false they are treated like JDBC's skeleton users:
	// no permissions of their own, only those of their Identity.Groups.
	RequireUser *bool `yaml:"require_user"`
	// Instance names this process in the goguacd_instance table, for
	// operators reading it (default "<hostname>/<pid>"). Give every replica a
	// distinct, stable name (a StatefulSet pod name, an advertise address): a
	// process that finds a silent instance of its own name treats it as its
	// crashed predecessor and cleans it up after 1.5×Heartbeat instead of
	// HeartbeatGrace.
	Instance string `yaml:"instance"`
	// Heartbeat is how often this process proves it is alive and looks for
	// dead replicas' open history rows (default 10s). Negative disables crash
	// cleanup: goguacd then neither creates nor writes its own tables.
	Heartbeat time.Duration `yaml:"heartbeat"`
	// HeartbeatGrace is how long an instance may stay silent before another
	// one closes its open history rows (default 3×Heartbeat). It must exceed
	// Heartbeat, and should exceed Heartbeat+QueryTimeout so a slow database
	// does not make a live replica look dead.
	HeartbeatGrace time.Duration `yaml:"heartbeat_grace"`
}

const (
	defaultMaxConns     = 4
	defaultQueryTimeout = 3 * time.Second
	defaultCacheTTL     = time.Second
	defaultHeartbeat    = 10 * time.Second
	defaultGraceBeats   = 3
)

// withDefaults returns c with unset fields filled in, or an error for values
// that cannot work.
func (c Config) withDefaults() (Config, error) {
	if c.DSN == "" {
		return c, errors.New("pgcatalog: config: dsn is required")
	}
	if c.MaxConns < 0 || c.QueryTimeout < 0 {
		return c, errors.New("pgcatalog: config: max_conns and query_timeout must not be negative")
	}
	if c.CacheTTL > MaxCacheTTL {
		return c, fmt.Errorf("pgcatalog: config: cache_ttl %v exceeds %v", c.CacheTTL, MaxCacheTTL)
	}
	if c.MaxConns == 0 {
		c.MaxConns = defaultMaxConns
	}
	if c.QueryTimeout == 0 {
		c.QueryTimeout = defaultQueryTimeout
	}
	switch {
	case c.CacheTTL == 0:
		c.CacheTTL = defaultCacheTTL
	case c.CacheTTL < 0:
		c.CacheTTL = 0
	}
	if c.RequireUser == nil {
		t := true
		c.RequireUser = &t
	}
	if c.Instance == "" {
		c.Instance = defaultInstance()
	}
	switch {
	case c.Heartbeat < 0:
		c.HeartbeatGrace = 0
		return c, nil
	case c.Heartbeat == 0:
		c.Heartbeat = defaultHeartbeat
	}
	if c.HeartbeatGrace == 0 {
		c.HeartbeatGrace = defaultGraceBeats * c.Heartbeat
	}
	if c.HeartbeatGrace <= c.Heartbeat {
		return c, fmt.Errorf("pgcatalog: config: heartbeat_grace %v must exceed heartbeat %v", c.HeartbeatGrace, c.Heartbeat)
	}
	return c, nil
}

// defaultInstance names this process by host and pid, unique on one host and
// stable across restarts in containers, where the pid is usually 1.
func defaultInstance() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown-host"
	}
	return fmt.Sprintf("%s/%d", host, os.Getpid())
}
