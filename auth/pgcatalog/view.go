package pgcatalog

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/goguacd/goguacd/auth/catalog"
)

// groupRow is one guacamole_connection_group row as the view needs it.
type groupRow struct {
	id, parent int32 // parent 0 = root
	name       string
	balancing  bool
	readable   bool // the identity holds READ on it (or is an administrator)
}

// connRow is one guacamole_connection row the identity may read.
type connRow struct {
	id, parent   int32 // parent 0 = root
	name         string
	protocol     string
	proxyHost    string
	proxyPort    int32
	maxConns     int32 // 0 = unlimited
	failoverOnly bool
}

// profileRow is one guacamole_sharing_profile row the identity may read.
type profileRow struct {
	id, conn int32
	name     string
}

// child is a connection a balancing group may hand a session to.
type child struct {
	id           int32
	maxConns     int32
	failoverOnly bool
}

// view is everything one identity may open, built from one round of
// queries. It is shared by cached readers, so it is never modified after
// buildView returns and callers get clones.
type view struct {
	conns    []catalog.Connection // sorted by Group, Name, ID
	byID     map[string]int       // catalog ID → index in conns
	children map[int32][]child    // readable balancing group → readable children
}

// buildView assembles the identity's catalog from rows already filtered by
// permission. params and profileParams are keyed by connection and sharing
// profile id.
func buildView(groups []groupRow, conns []connRow, params map[int32]map[string]string,
	profiles []profileRow, profileParams map[int32]map[string]string) *view {
	paths := groupPaths(groups)
	v := &view{byID: make(map[string]int), children: make(map[int32][]child)}

	shares := make(map[int32][]catalog.SharingProfile)
	for _, p := range profiles {
		shares[p.conn] = append(shares[p.conn], catalog.SharingProfile{
			ID: decimalID(p.id), Name: p.name, Params: nonNil(profileParams[p.id]),
		})
	}
	balancing := make(map[int32]groupRow)
	for _, g := range groups {
		if g.balancing && g.readable {
			balancing[g.id] = g
		}
	}
	protocols := make(map[int32]string) // balancing group → children's protocol, "" if mixed
	for _, c := range conns {
		sp := shares[c.id]
		slices.SortFunc(sp, func(a, b catalog.SharingProfile) int { return cmp.Compare(a.Name, b.Name) })
		v.conns = append(v.conns, catalog.Connection{
			ID:              decimalID(c.id),
			Name:            c.name,
			Protocol:        c.protocol,
			Params:          nonNil(params[c.id]),
			Group:           paths[c.parent],
			ProxyHost:       c.proxyHost,
			ProxyPort:       int(c.proxyPort),
			SharingProfiles: sp,
		})
		if _, ok := balancing[c.parent]; ok {
			kids := v.children[c.parent]
			if len(kids) == 0 {
				protocols[c.parent] = c.protocol
			} else if protocols[c.parent] != c.protocol {
				protocols[c.parent] = ""
			}
			v.children[c.parent] = append(kids, child{id: c.id, maxConns: c.maxConns, failoverOnly: c.failoverOnly})
		}
	}
	// A balancing group with no child the identity may read cannot be opened,
	// so it is not listed.
	for gid := range v.children {
		g := balancing[gid]
		v.conns = append(v.conns, catalog.Connection{
			ID: groupID(g.id), Name: g.name, Protocol: protocols[gid], Group: paths[g.parent],
		})
	}
	slices.SortFunc(v.conns, func(a, b catalog.Connection) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	for i, c := range v.conns {
		v.byID[c.ID] = i
	}
	return v
}

// groupPaths maps each group id to its folder path, "A/B" for group B inside
// top-level group A; id 0 (the root) maps to "". A parent cycle, which the
// schema does not forbid, ends the path where the cycle closes rather than
// looping.
func groupPaths(groups []groupRow) map[int32]string {
	byID := make(map[int32]groupRow, len(groups))
	for _, g := range groups {
		byID[g.id] = g
	}
	paths := map[int32]string{0: ""}
	for _, g := range groups {
		var names []string
		seen := make(map[int32]bool)
		for id := g.id; id != 0 && !seen[id]; {
			seen[id] = true
			row, ok := byID[id]
			if !ok {
				break
			}
			names = append(names, row.name)
			id = row.parent
		}
		slices.Reverse(names)
		paths[g.id] = strings.Join(names, "/")
	}
	return paths
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// cloneConnection deep-copies c so callers may edit the maps (for example
// to substitute tokens) without touching cached views.
func cloneConnection(c catalog.Connection) catalog.Connection {
	c.Params = maps.Clone(c.Params)
	if c.SharingProfiles != nil {
		sp := make([]catalog.SharingProfile, len(c.SharingProfiles))
		for i, p := range c.SharingProfiles {
			p.Params = maps.Clone(p.Params)
			sp[i] = p
		}
		c.SharingProfiles = sp
	}
	return c
}
