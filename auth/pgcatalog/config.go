package pgcatalog

import (
	"errors"
	"fmt"
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
}

const (
	defaultMaxConns     = 4
	defaultQueryTimeout = 3 * time.Second
	defaultCacheTTL     = time.Second
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
	return c, nil
}
