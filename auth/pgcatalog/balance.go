package pgcatalog

import (
	"cmp"
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/goguacd/goguacd/auth/catalog"
)

// balance picks the connection a balancing group hands the next session to,
// counting open history rows so every goguacd instance sharing the database
// sees the same load. The pick is advisory: Acquire still enforces limits
// under lock, since another instance may take the slot in between.
func (c *Catalog) balance(ctx context.Context, v *view, kids []child) (catalog.Connection, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.QueryTimeout)
	defer cancel()
	ids := make([]int32, len(kids))
	for i, k := range kids {
		ids[i] = k.id
	}
	rows, _ := c.pool.Query(ctx, sqlActive, ids)
	active := make(map[int32]int64, len(kids))
	var (
		id int32
		n  int64
	)
	if _, err := pgx.ForEachRow(rows, []any{&id, &n}, func() error {
		active[id] = n
		return nil
	}); err != nil {
		return catalog.Connection{}, c.unavailable("active sessions of balancing group", err)
	}
	best := pickChild(kids, active)
	return cloneConnection(v.conns[v.byID[decimalID(best.id)]]), nil
}

// pickChild returns the child to use given open sessions per child: first
// those below their max_connections, then those not marked failover_only
// (JDBC keeps those for when the others are full), then the fewest open
// sessions, then the lowest id so the choice is stable. kids is not empty.
func pickChild(kids []child, active map[int32]int64) child {
	full := func(k child) bool { return k.maxConns > 0 && active[k.id] >= int64(k.maxConns) }
	return slices.MinFunc(kids, func(a, b child) int {
		return cmp.Or(
			compareBool(full(a), full(b)),
			compareBool(a.failoverOnly, b.failoverOnly),
			cmp.Compare(active[a.id], active[b.id]),
			cmp.Compare(a.id, b.id),
		)
	})
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
