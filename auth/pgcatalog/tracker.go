package pgcatalog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

// releaseAttempts bounds how often a history row's close is retried while the
// database is unreachable; with doubling delays capped at retryMax this spans
// several minutes, enough for a database restart.
const (
	releaseAttempts = 10
	retryMax        = time.Minute
)

// Acquire enforces the connection's limits (and its balancing group's) and
// records the session in guacamole_connection_history. c must come from Get;
// Acquire does not re-check READ. The count and the insert happen in one
// transaction holding row locks, so concurrent Acquires on any goguacd
// instance sharing the database are serialized per connection and group.
//
// release closes the history row. It tries once at once; if the database is
// unreachable it retries in the background (bounded) and returns, so the
// caller's session teardown never waits on the database more than
// Config.QueryTimeout.
func (c *Catalog) Acquire(ctx context.Context, id auth.Identity, conn catalog.Connection, remoteAddr string) (func(), error) {
	dbID, isGroup, ok := parseID(conn.ID)
	if !ok || isGroup {
		return nil, fmt.Errorf("pgcatalog: acquire %q: %w", conn.ID, catalog.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()

	tracked, err := c.tracking(ctx)
	if err != nil {
		return nil, c.unavailable("acquire "+conn.ID, err)
	}
	user := truncate(id.Username, 128)
	start := c.now()
	var historyID int32
	err = pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		var parent int32 // balancing parent, or 0
		if err := tx.QueryRow(ctx, sqlParent, dbID).Scan(&parent); err != nil {
			return err
		}
		if parent != 0 {
			// The type is re-read under the lock in case the operator
			// changed it in between.
			var (
				balancing          bool
				maxAll, maxPerUser int32
			)
			if err := tx.QueryRow(ctx, sqlLockGroup, parent).Scan(&balancing, &maxAll, &maxPerUser); err != nil {
				return err
			}
			if balancing {
				if err := checkLimit(ctx, tx, sqlActiveGroup, parent, user, maxAll, maxPerUser); err != nil {
					return fmt.Errorf("balancing group %d: %w", parent, err)
				}
			}
		}
		var (
			name               string
			maxAll, maxPerUser int32
		)
		if err := tx.QueryRow(ctx, sqlLockConnection, dbID).Scan(&name, &maxAll, &maxPerUser); err != nil {
			return err
		}
		if err := checkLimit(ctx, tx, sqlActiveConnection, dbID, user, maxAll, maxPerUser); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, sqlStart, user, truncate(remoteHost(remoteAddr), 256), dbID, name, start).Scan(&historyID); err != nil {
			return err
		}
		if !tracked {
			return nil
		}
		// In the same transaction, so no row is ever open untracked.
		_, err := tx.Exec(ctx, sqlTrack, historyID, c.inst.id, c.cfg.Instance)
		return err
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, fmt.Errorf("pgcatalog: acquire %q: %w", conn.ID, catalog.ErrNotFound)
	case errors.Is(err, catalog.ErrTooMany):
		c.log.Info("pgcatalog: connection limit reached", "user", id.Username, "connection", conn.ID, "reason", err)
		return nil, fmt.Errorf("pgcatalog: acquire %q: %w", conn.ID, err)
	case err != nil:
		return nil, c.unavailable("acquire "+conn.ID, err)
	}
	var once sync.Once
	return func() { once.Do(func() { c.release(historyID, tracked) }) }, nil
}

// checkLimit counts open sessions with query (on owner, for user) against
// the limits; 0 means unlimited.
func checkLimit(ctx context.Context, tx pgx.Tx, query string, owner int32, user string, maxAll, maxPerUser int32) error {
	if maxAll <= 0 && maxPerUser <= 0 {
		return nil
	}
	var all, mine int64
	if err := tx.QueryRow(ctx, query, owner, user).Scan(&all, &mine); err != nil {
		return err
	}
	if maxAll > 0 && all >= int64(maxAll) {
		return fmt.Errorf("%d of max_connections %d in use: %w", all, maxAll, catalog.ErrTooMany)
	}
	if maxPerUser > 0 && mine >= int64(maxPerUser) {
		return fmt.Errorf("%d of max_connections_per_user %d in use: %w", mine, maxPerUser, catalog.ErrTooMany)
	}
	return nil
}

// release closes history row historyID with the current time, retrying in
// the background if the database does not answer. tracked says whether
// Acquire recorded it in goguacd_open_history.
func (c *Catalog) release(historyID int32, tracked bool) {
	end := c.now()
	err := c.closeHistory(c.bg, historyID, tracked, end)
	if err == nil {
		return
	}
	c.log.Warn("pgcatalog: closing history row failed, retrying in background", "history_id", historyID, "err", err)
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed {
		c.log.Warn("pgcatalog: catalog closed with a history row close pending; Close closes it if crash cleanup is on", "history_id", historyID)
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.retryRelease(historyID, tracked, end)
	}()
}

func (c *Catalog) retryRelease(historyID int32, tracked bool, end time.Time) {
	delay := c.retryBase
	for range releaseAttempts {
		t := time.NewTimer(delay)
		select {
		case <-c.bg.Done():
			t.Stop()
			c.log.Warn("pgcatalog: catalog closed with a history row close pending; Close closes it if crash cleanup is on", "history_id", historyID)
			return
		case <-t.C:
		}
		err := c.closeHistory(c.bg, historyID, tracked, end)
		if err == nil {
			c.log.Info("pgcatalog: history row closed after retry", "history_id", historyID)
			return
		}
		delay = min(2*delay, retryMax)
	}
	c.log.Error("pgcatalog: giving up closing history row", "history_id", historyID, "attempts", releaseAttempts)
}

func (c *Catalog) closeHistory(ctx context.Context, historyID int32, tracked bool, end time.Time) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()
	q := sqlEnd
	if tracked {
		q = sqlEndTracked
	}
	_, err := c.pool.Exec(ctx, q, historyID, end)
	return err
}

// remoteHost keeps the address part of "host:port", as the stock web app
// records only the client's address.
func remoteHost(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		return host
	}
	return addr
}

// truncate cuts s to at most n characters (not bytes), the unit of
// PostgreSQL's varchar(n), so long names do not fail the insert.
func truncate(s string, n int) string {
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}
