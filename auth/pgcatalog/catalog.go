package pgcatalog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

// Catalog is a catalog.Catalog and catalog.Tracker backed by a Guacamole
// PostgreSQL database. It is safe for concurrent use. Close releases it.
type Catalog struct {
	cfg  Config
	pool *pgxpool.Pool
	log  *slog.Logger
	now  func() time.Time

	// retryBase is the first delay between attempts to close a history row
	// the database did not accept; tests shorten it.
	retryBase time.Duration

	cacheMu sync.Mutex
	cache   map[string]cached

	inst instance
	// abandoned makes Close skip retire, as if the process had been killed;
	// only tests set it.
	abandoned bool

	bgMu   sync.Mutex // guards closed and wg.Add against Close
	closed bool
	bg     context.Context // cancelled by Close; parent of background retries
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ catalog.Catalog = (*Catalog)(nil)
	_ catalog.Tracker = (*Catalog)(nil)
)

// cached is one identity's answer: a view, or the reason it was refused.
type cached struct {
	v       *view
	err     error
	expires time.Time
}

// cacheSweepAt is the cache size above which expired entries are dropped, so
// a stream of distinct identities cannot grow it without bound.
const cacheSweepAt = 1024

// New returns a Catalog for cfg. It does not wait for the database: a
// database that is down at start-up makes calls fail with
// catalog.ErrUnavailable until it comes back. log receives refusals and
// database trouble (never parameter values); nil means slog.Default().
func New(cfg Config, log *slog.Logger) (*Catalog, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// The DSN may hold a password; pgx's parse errors redact it.
		return nil, fmt.Errorf("pgcatalog: dsn: %w", err)
	}
	pc.MaxConns = cfg.MaxConns
	pc.ConnConfig.ConnectTimeout = cfg.QueryTimeout
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("pgcatalog: pool: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	bg, stop := context.WithCancel(context.Background())
	c := &Catalog{
		cfg: cfg, pool: pool, log: log, now: time.Now,
		retryBase: time.Second,
		cache:     make(map[string]cached),
		bg:        bg, stop: stop,
	}
	c.inst.id = rand.Text()
	if cfg.Heartbeat < 0 {
		c.inst.state.Store(trackOff)
	} else {
		c.wg.Add(1)
		go c.heartbeatLoop()
	}
	return c, nil
}

// Close stops the heartbeat and background retries of history updates,
// waits for them, closes the history rows this instance still has open
// (including those whose close was being retried) and unregisters it, then
// closes the pool. Without crash cleanup (no privileges, or disabled) rows
// whose close was still being retried stay open; their IDs are logged.
func (c *Catalog) Close() {
	c.bgMu.Lock()
	c.closed = true
	c.bgMu.Unlock()
	c.stop()
	c.wg.Wait()
	if !c.abandoned {
		c.retire()
	}
	c.pool.Close()
}

// List returns the connections and balancing groups id may open.
func (c *Catalog) List(ctx context.Context, id auth.Identity) ([]catalog.Connection, error) {
	v, err := c.view(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make([]catalog.Connection, len(v.conns))
	for i, conn := range v.conns {
		out[i] = cloneConnection(conn)
	}
	return out, nil
}

// Get returns connection connID if id may open it. For a balancing group
// ID ("g:<id>") it returns the group's least-used readable child.
func (c *Catalog) Get(ctx context.Context, id auth.Identity, connID string) (catalog.Connection, error) {
	dbID, isGroup, ok := parseID(connID)
	if !ok {
		return catalog.Connection{}, fmt.Errorf("pgcatalog: connection %q: %w", connID, catalog.ErrNotFound)
	}
	v, err := c.view(ctx, id)
	if err != nil {
		return catalog.Connection{}, err
	}
	if isGroup {
		if kids := v.children[dbID]; len(kids) > 0 {
			return c.balance(ctx, v, kids)
		}
	} else if i, ok := v.byID[connID]; ok {
		return cloneConnection(v.conns[i]), nil
	}
	return catalog.Connection{}, c.whyNot(ctx, id, connID, dbID, isGroup)
}

// whyNot tells a connection that does not exist from one id may not open.
// An organizational group is never openable, so it counts as not found.
func (c *Catalog) whyNot(ctx context.Context, id auth.Identity, connID string, dbID int32, isGroup bool) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()
	q := sqlConnectionExists
	if isGroup {
		q = sqlGroupExists
	}
	var exists bool
	if err := c.pool.QueryRow(ctx, q, dbID).Scan(&exists); err != nil {
		return c.unavailable("look up connection "+connID, err)
	}
	if !exists {
		return fmt.Errorf("pgcatalog: connection %q: %w", connID, catalog.ErrNotFound)
	}
	if isGroup {
		var balancing bool
		if err := c.pool.QueryRow(ctx, `SELECT type = 'BALANCING' FROM guacamole_connection_group WHERE connection_group_id = $1`, dbID).Scan(&balancing); err != nil {
			return c.unavailable("look up connection group "+connID, err)
		}
		if !balancing {
			return fmt.Errorf("pgcatalog: connection group %q is not a balancing group: %w", connID, catalog.ErrNotFound)
		}
	}
	c.log.Info("pgcatalog: refused connection", "user", id.Username, "connection", connID, "reason", "no READ permission")
	return fmt.Errorf("pgcatalog: user %q may not open %q: %w", id.Username, connID, catalog.ErrForbidden)
}

// unavailable wraps a database failure so callers see catalog.ErrUnavailable
// (and, through the second %w, the cause, e.g. context.Canceled).
func (c *Catalog) unavailable(what string, err error) error {
	c.log.Warn("pgcatalog: database error", "op", what, "err", err)
	return fmt.Errorf("pgcatalog: %s: %w: %w", what, catalog.ErrUnavailable, err)
}

// view returns what id may open, from the cache when fresh enough.
func (c *Catalog) view(ctx context.Context, id auth.Identity) (*view, error) {
	key := cacheKey(id)
	now := c.now()
	if c.cfg.CacheTTL > 0 {
		c.cacheMu.Lock()
		e, ok := c.cache[key]
		c.cacheMu.Unlock()
		if ok && now.Before(e.expires) {
			return e.v, e.err
		}
	}
	v, err := c.loadView(ctx, id)
	if c.cfg.CacheTTL > 0 && (err == nil || errors.Is(err, catalog.ErrForbidden)) {
		c.cacheMu.Lock()
		if len(c.cache) >= cacheSweepAt {
			for k, e := range c.cache {
				if !now.Before(e.expires) {
					delete(c.cache, k)
				}
			}
		}
		c.cache[key] = cached{v: v, err: err, expires: now.Add(c.cfg.CacheTTL)}
		c.cacheMu.Unlock()
	}
	return v, err
}

// cacheKey identifies an identity by everything the answer depends on. The
// NUL separator cannot occur in names PostgreSQL stores.
func cacheKey(id auth.Identity) string {
	groups := slices.Clone(id.Groups)
	slices.Sort(groups)
	return id.Username + "\x00" + strings.Join(groups, "\x00")
}

// loadView runs the queries behind view: account checks, effective groups,
// then all readable objects in one batch.
func (c *Catalog) loadView(ctx context.Context, id auth.Identity) (*view, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()

	entity, err := c.checkUser(ctx, id)
	if err != nil {
		return nil, err
	}
	groups := id.Groups
	if groups == nil {
		groups = []string{} // a NULL array would make ANY() yield NULL
	}
	var entities []int32
	var admin bool
	if err := c.pool.QueryRow(ctx, sqlEffective, entity, groups).Scan(&entities, &admin); err != nil {
		return nil, c.unavailable("effective groups of "+id.Username, err)
	}
	if entity != nil {
		entities = append(entities, *entity)
	}

	b := &pgx.Batch{}
	var (
		grows    []groupRow
		crows    []connRow
		params   = make(map[int32]map[string]string)
		profiles []profileRow
		pparams  = make(map[int32]map[string]string)
	)
	b.Queue(sqlGroups, entities, admin).Query(func(rows pgx.Rows) error {
		var g groupRow
		_, err := pgx.ForEachRow(rows, []any{&g.id, &g.parent, &g.name, &g.balancing, &g.readable}, func() error {
			grows = append(grows, g)
			return nil
		})
		return err
	})
	b.Queue(sqlConnections, entities, admin).Query(func(rows pgx.Rows) error {
		var r connRow
		_, err := pgx.ForEachRow(rows, []any{&r.id, &r.parent, &r.name, &r.protocol, &r.proxyHost, &r.proxyPort, &r.maxConns, &r.failoverOnly}, func() error {
			crows = append(crows, r)
			return nil
		})
		return err
	})
	b.Queue(sqlParams, entities, admin).Query(paramsInto(params))
	b.Queue(sqlProfiles, entities, admin).Query(func(rows pgx.Rows) error {
		var p profileRow
		_, err := pgx.ForEachRow(rows, []any{&p.id, &p.conn, &p.name}, func() error {
			profiles = append(profiles, p)
			return nil
		})
		return err
	})
	b.Queue(sqlProfileParams, entities, admin).Query(paramsInto(pparams))
	if err := c.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, c.unavailable("catalog of "+id.Username, err)
	}
	return buildView(grows, crows, params, profiles, pparams), nil
}

// paramsInto collects (owner id, name, value) rows into m.
func paramsInto(m map[int32]map[string]string) func(pgx.Rows) error {
	return func(rows pgx.Rows) error {
		var (
			owner       int32
			name, value string
		)
		_, err := pgx.ForEachRow(rows, []any{&owner, &name, &value}, func() error {
			if m[owner] == nil {
				m[owner] = make(map[string]string)
			}
			m[owner][name] = value
			return nil
		})
		return err
	}
}

// checkUser applies the account rules to id and returns its entity id, or
// nil for an unknown user allowed in by Config.RequireUser=false.
func (c *Catalog) checkUser(ctx context.Context, id auth.Identity) (*int32, error) {
	var (
		userID, entity int32
		a              account
		from, until    pgtype.Date
		wStart, wEnd   pgtype.Time
	)
	err := c.pool.QueryRow(ctx, sqlUser, id.Username).Scan(&userID, &entity, &a.disabled,
		&from, &until, &wStart, &wEnd, &a.timezone)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		if *c.cfg.RequireUser {
			return nil, c.refuse(id, "not in the database")
		}
		return nil, nil
	case err != nil:
		return nil, c.unavailable("look up user "+id.Username, err)
	}
	if from.Valid {
		a.validFrom = from.Time
	}
	if until.Valid {
		a.validUntil = until.Time
	}
	a.windowStart, a.hasStart = time.Duration(wStart.Microseconds)*time.Microsecond, wStart.Valid
	a.windowEnd, a.hasEnd = time.Duration(wEnd.Microseconds)*time.Microsecond, wEnd.Valid
	loc, err := a.location()
	if err != nil {
		c.log.Warn("pgcatalog: using local time", "user", id.Username, "err", err)
	}
	if why := a.refusal(c.now().In(loc)); why != "" {
		return nil, c.refuse(id, why)
	}
	return &entity, nil
}

func (c *Catalog) refuse(id auth.Identity, why string) error {
	c.log.Info("pgcatalog: refused user", "user", id.Username, "reason", why)
	return fmt.Errorf("pgcatalog: user %q: %s: %w", id.Username, why, catalog.ErrForbidden)
}
