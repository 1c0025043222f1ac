package pgcatalog

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Crash cleanup: every Catalog registers itself in goguacd_instance under a
// random id, stamps a heartbeat there with the database's clock, and tracks
// the history rows it opens in goguacd_open_history. Any replica closes the
// rows of an instance whose heartbeat went stale, so a killed process does not
// keep its sessions "active" forever.

// Tracking states of an instance.
const (
	trackPending int32 = iota // tables not set up yet (database not reached)
	trackOn
	trackOff // disabled by config or for lack of privileges
)

// instance is this process's identity in goguacd_instance.
type instance struct {
	id         string // random per process start (crypto/rand.Text)
	state      atomic.Int32
	mu         sync.Mutex  // serializes setup
	twinWarned atomic.Bool // a live namesake was reported
}

// tracking reports whether this instance tracks the history rows it opens,
// setting up the tables and registering on first use. An error means the
// database could not be asked; the caller retries later.
func (c *Catalog) tracking(ctx context.Context) (bool, error) {
	if s := c.inst.state.Load(); s != trackPending {
		return s == trackOn, nil
	}
	c.inst.mu.Lock()
	defer c.inst.mu.Unlock()
	if s := c.inst.state.Load(); s != trackPending {
		return s == trackOn, nil
	}
	err := c.setup(ctx)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42501": // insufficient_privilege
		c.log.Warn("pgcatalog: crash cleanup disabled: the database user may not create or write goguacd_instance and goguacd_open_history; "+
			"history rows of a goguacd that dies stay open and count as active sessions (see the pgcatalog docs for the grants)",
			"err", pgErr.Message)
		c.inst.state.Store(trackOff)
		return false, nil
	case err != nil:
		return false, err
	}
	c.inst.state.Store(trackOn)
	c.log.Info("pgcatalog: crash cleanup on", "instance", c.cfg.Instance, "instance_id", c.inst.id,
		"heartbeat", c.cfg.Heartbeat, "grace", c.cfg.HeartbeatGrace)
	return true, nil
}

// setup creates goguacd's tables if they are missing and registers this
// instance.
func (c *Catalog) setup(ctx context.Context) error {
	return pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlSetupLock, setupLockKey); err != nil {
			return err
		}
		var exist bool
		if err := tx.QueryRow(ctx, sqlTablesExist).Scan(&exist); err != nil {
			return err
		}
		// Checked first because CREATE ... IF NOT EXISTS still needs the
		// CREATE privilege, which a DBA who created the tables may withhold.
		if !exist {
			for _, q := range sqlCreateTables {
				if _, err := tx.Exec(ctx, q); err != nil {
					return err
				}
			}
		}
		_, err := tx.Exec(ctx, sqlRegister, c.inst.id, c.cfg.Instance)
		return err
	})
}

// predecessorAfter is how long an instance of this one's own name may be
// silent before it counts as this process's crashed predecessor: longer
// than one heartbeat, so a live namesake that is merely late is spared.
func (c *Catalog) predecessorAfter() time.Duration {
	return min(c.cfg.Heartbeat+c.cfg.Heartbeat/2, c.cfg.HeartbeatGrace)
}

// heartbeatLoop beats at once and then every Config.Heartbeat until Close,
// or until tracking turns out to be off.
func (c *Catalog) heartbeatLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.Heartbeat)
	defer t.Stop()
	for c.beat() {
		select {
		case <-c.bg.Done():
			return
		case <-t.C:
		}
	}
}

// beat sets up tracking if needed, stamps the heartbeat and reaps dead
// instances. It returns false once tracking is off for good.
func (c *Catalog) beat() bool {
	ctx, cancel := context.WithTimeout(c.bg, c.cfg.QueryTimeout)
	defer cancel()
	on, err := c.tracking(ctx)
	switch {
	case err != nil:
		if c.bg.Err() == nil {
			c.log.Warn("pgcatalog: heartbeat: database error", "err", err)
		}
		return true
	case !on:
		return false
	}
	var twins int64
	err = c.pool.QueryRow(ctx, sqlHeartbeat, c.inst.id).Scan(&twins)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		// Silent for longer than the grace (a long network partition, a
		// stalled process): another replica closed our history rows. Later
		// sessions are tracked again; those running now stay unaccounted.
		c.log.Warn("pgcatalog: this instance was presumed dead by another replica, which closed its open history rows; re-registering",
			"instance", c.cfg.Instance, "instance_id", c.inst.id)
		if _, err := c.pool.Exec(ctx, sqlRegister, c.inst.id, c.cfg.Instance); err != nil {
			c.log.Warn("pgcatalog: heartbeat: database error", "err", err)
			return true
		}
	case err != nil:
		if c.bg.Err() == nil {
			c.log.Warn("pgcatalog: heartbeat: database error", "err", err)
		}
		return true
	case twins > 0 && !c.inst.twinWarned.Swap(true):
		c.log.Warn("pgcatalog: another live goguacd uses this instance name; give each replica its own, or one may close the other's history rows",
			"instance", c.cfg.Instance)
	}
	if err := c.reap(ctx); err != nil && c.bg.Err() == nil {
		c.log.Warn("pgcatalog: closing dead instances' history rows failed", "err", err)
	}
	return true
}

// reap closes the history rows of dead instances and removes them, in one
// transaction, so a reaper that fails half-way leaves everything for the next.
func (c *Catalog) reap(ctx context.Context) error {
	type corpse struct {
		id, name  string
		heartbeat time.Time
	}
	var dead []corpse
	closed := make(map[string]int64)
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		rows, _ := tx.Query(ctx, sqlLockDead, c.inst.id, c.cfg.HeartbeatGrace.Microseconds(),
			c.cfg.Instance, c.predecessorAfter().Microseconds())
		var d corpse
		if _, err := pgx.ForEachRow(rows, []any{&d.id, &d.name, &d.heartbeat}, func() error {
			dead = append(dead, d)
			return nil
		}); err != nil || len(dead) == 0 {
			return err
		}
		ids := make([]string, len(dead))
		beats := make([]time.Time, len(dead))
		for i, d := range dead {
			ids[i], beats[i] = d.id, d.heartbeat
		}
		rows, _ = tx.Query(ctx, sqlBury, ids, beats)
		var (
			id string
			n  int64
		)
		_, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
			closed[id] = n
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	for _, d := range dead {
		c.log.Warn("pgcatalog: closed history rows of a dead goguacd instance",
			"instance", d.name, "instance_id", d.id, "last_heartbeat", d.heartbeat, "rows", closed[d.id])
	}
	return nil
}

// retire closes the history rows this instance still has open and removes
// it; Close runs it after the last session.
func (c *Catalog) retire() {
	if c.inst.state.Load() != trackOn {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.QueryTimeout)
	defer cancel()
	var closed int64
	err := pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sqlLockSelf, c.inst.id); err != nil {
			return err
		}
		return tx.QueryRow(ctx, sqlRetire, c.inst.id).Scan(&closed)
	})
	if err != nil {
		c.log.Warn("pgcatalog: removing this instance failed; another replica will clean it up after the grace",
			"instance", c.cfg.Instance, "err", err)
		return
	}
	if closed > 0 {
		c.log.Warn("pgcatalog: closed history rows still open at shutdown", "rows", closed)
	}
}
