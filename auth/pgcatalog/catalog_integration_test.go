//go:build integration

package pgcatalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

const secret = "S3cretPassw0rd"

func listIDs(t *testing.T, c *Catalog, id auth.Identity) ([]string, error) {
	t.Helper()
	conns, err := c.List(context.Background(), id)
	var ids []string
	for _, conn := range conns {
		ids = append(ids, conn.ID)
	}
	return ids, err
}

func TestAccessRules(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}

	prod := f.folder("Prod", 0, "ORGANIZATIONAL")
	linux := f.folder("Linux", prod, "ORGANIZATIONAL")
	web := f.conn("web", linux, "vnc", map[string]string{"hostname": "web1", "password": secret})
	dbc := f.conn("db", 0, "ssh", map[string]string{"hostname": "db1"})
	lab := f.conn("lab", prod, "rdp", nil)
	sso := f.conn("sso", 0, "ssh", nil)
	all := []string{fmt.Sprint(dbc), fmt.Sprint(sso), fmt.Sprint(lab), fmt.Sprint(web)} // List order

	// Direct permission.
	f.grant(f.user("alice"), web, "READ")

	// Transitive groups: bob ∈ team ⊂ ops ⊂ staff, staff may read db.
	bob, team, ops, staff := f.user("bob"), f.group("team", false), f.group("ops", false), f.group("staff", false)
	f.member(team, bob)
	f.member(ops, team)
	f.member(staff, ops)
	f.grant(staff, dbc, "READ")

	// A disabled group grants nothing, directly or through its parents.
	carol, contractors, staff2 := f.user("carol"), f.group("contractors", true), f.group("staff2", false)
	f.member(contractors, carol)
	f.member(staff2, contractors)
	f.grant(contractors, lab, "READ")
	f.grant(staff2, lab, "READ")
	cathy, x, mid, top := f.user("cathy"), f.group("x", false), f.group("mid", true), f.group("top", false)
	f.member(x, cathy)
	f.member(mid, x)
	f.member(top, mid)
	f.grant(top, lab, "READ")

	// Account rules.
	dave := f.user("dave")
	f.userSet(dave, "disabled", true)
	f.grant(dave, web, "READ")
	today := time.Now().UTC()
	erin := f.user("erin")
	f.userSet(erin, "timezone", "UTC")
	f.userSet(erin, "valid_until", today.AddDate(0, 0, -1))
	f.grant(erin, web, "READ")
	frank := f.user("frank")
	f.userSet(frank, "timezone", "UTC")
	f.userSet(frank, "valid_from", today.AddDate(0, 0, 1))
	f.grant(frank, web, "READ")
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	nowTokyo := time.Now().In(tokyo)
	hhmm := func(d time.Duration) string { return nowTokyo.Add(d).Format(time.TimeOnly) }
	gina := f.user("gina") // window later today (or wrapping past midnight): refused now
	f.userSet(gina, "timezone", "Asia/Tokyo")
	f.userSet(gina, "access_window_start", hhmm(2*time.Hour))
	f.userSet(gina, "access_window_end", hhmm(3*time.Hour))
	f.grant(gina, web, "READ")
	harry := f.user("harry") // window around now in his zone: allowed
	f.userSet(harry, "timezone", "Asia/Tokyo")
	f.userSet(harry, "access_window_start", hhmm(-time.Hour))
	f.userSet(harry, "access_window_end", hhmm(time.Hour))
	f.userSet(harry, "valid_from", nowTokyo.AddDate(0, 0, -1))
	f.userSet(harry, "valid_until", nowTokyo)
	f.grant(harry, web, "READ")

	// No permission, or permissions that are not READ.
	f.user("ivan")
	uma := f.user("uma")
	for _, p := range []string{"UPDATE", "DELETE", "ADMINISTER"} {
		f.grant(uma, web, p)
	}
	leo := f.user("leo")
	f.grantSystem(leo, "CREATE_CONNECTION")

	// Administrators, directly or through an enabled group.
	f.grantSystem(f.user("root"), "ADMINISTER")
	jane, admins := f.user("jane"), f.group("admins", false)
	f.member(admins, jane)
	f.grantSystem(admins, "ADMINISTER")
	kim, admins2 := f.user("kim"), f.group("admins2", true)
	f.member(admins2, kim)
	f.grantSystem(admins2, "ADMINISTER")

	// Identity groups from the proxy match groups by name.
	f.user("max")
	ldapOps, ldapParent, ldapOff := f.group("ldap-ops", false), f.group("ldap-parent", false), f.group("ldap-off", true)
	f.member(ldapParent, ldapOps)
	f.grant(ldapParent, sso, "READ")
	f.grant(ldapOff, dbc, "READ")

	c, logs := newCatalog(t, dsn, noCache)
	tests := []struct {
		name   string
		who    auth.Identity
		want   []string // List result
		refuse string   // refusal reason logged; List and every Get fail with ErrForbidden
	}{
		{"direct READ", auth.Identity{Username: "alice"}, []string{fmt.Sprint(web)}, ""},
		{"transitive groups", auth.Identity{Username: "bob"}, []string{fmt.Sprint(dbc)}, ""},
		{"disabled group", auth.Identity{Username: "carol"}, nil, ""},
		{"disabled group in the middle", auth.Identity{Username: "cathy"}, nil, ""},
		{"disabled user", auth.Identity{Username: "dave"}, nil, "account disabled"},
		{"expired", auth.Identity{Username: "erin"}, nil, "account expired after"},
		{"not yet valid", auth.Identity{Username: "frank"}, nil, "account not valid before"},
		{"outside window", auth.Identity{Username: "gina"}, nil, "outside access window"},
		{"inside window", auth.Identity{Username: "harry"}, []string{fmt.Sprint(web)}, ""},
		{"no permission", auth.Identity{Username: "ivan"}, nil, ""},
		{"only non-READ object permissions", auth.Identity{Username: "uma"}, nil, ""},
		{"non-ADMINISTER system permission", auth.Identity{Username: "leo"}, nil, ""},
		{"admin", auth.Identity{Username: "root"}, all, ""},
		{"admin through group", auth.Identity{Username: "jane"}, all, ""},
		{"admin through disabled group", auth.Identity{Username: "kim"}, nil, ""},
		{"identity group and its parent", auth.Identity{Username: "max", Groups: []string{"ldap-ops"}}, []string{fmt.Sprint(sso)}, ""},
		{"identity group disabled", auth.Identity{Username: "max", Groups: []string{"ldap-off"}}, nil, ""},
		{"identity groups union", auth.Identity{Username: "alice", Groups: []string{"ldap-ops", "nonexistent"}}, []string{fmt.Sprint(sso), fmt.Sprint(web)}, ""},
		{"unknown user refused", auth.Identity{Username: "mallory", Groups: []string{"ldap-ops"}}, nil, "not in the database"},
		{"username is case-sensitive", auth.Identity{Username: "Alice"}, nil, "not in the database"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := listIDs(t, c, tt.who)
			if tt.refuse != "" {
				if !errors.Is(err, catalog.ErrForbidden) {
					t.Fatalf("List err = %v, want ErrForbidden", err)
				}
				if want := `user=` + tt.who.Username + ` reason="` + tt.refuse; !strings.Contains(logs.String(), want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			} else if err != nil {
				t.Fatalf("List: %v", err)
			} else if !slices.Equal(got, tt.want) {
				t.Errorf("List = %v, want %v", got, tt.want)
			}
			for _, connID := range all {
				conn, err := c.Get(ctx, tt.who, connID)
				switch {
				case tt.refuse == "" && slices.Contains(tt.want, connID):
					if err != nil || conn.ID != connID {
						t.Errorf("Get(%s) = %q, %v; want it", connID, conn.ID, err)
					}
				case !errors.Is(err, catalog.ErrForbidden):
					t.Errorf("Get(%s) err = %v, want ErrForbidden", connID, err)
				}
			}
			if _, err := c.Get(ctx, tt.who, "999999"); tt.refuse == "" && !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("Get(missing) err = %v, want ErrNotFound", err)
			}
		})
	}

	t.Run("unknown user allowed by config", func(t *testing.T) {
		c, _ := newCatalog(t, dsn, noCache, allowUnknown)
		got, err := listIDs(t, c, auth.Identity{Username: "mallory", Groups: []string{"ldap-ops"}})
		if err != nil || !slices.Equal(got, []string{fmt.Sprint(sso)}) {
			t.Errorf("List = %v, %v; want [%d]", got, err, sso)
		}
		got, err = listIDs(t, c, auth.Identity{Username: "mallory"})
		if err != nil || len(got) != 0 {
			t.Errorf("List without groups = %v, %v; want nothing", got, err)
		}
		// A disabled user is still refused.
		if _, err := c.List(ctx, auth.Identity{Username: "dave"}); !errors.Is(err, catalog.ErrForbidden) {
			t.Errorf("disabled user: %v, want ErrForbidden", err)
		}
	})

	t.Run("parameters and folders", func(t *testing.T) {
		conn, err := c.Get(ctx, auth.Identity{Username: "alice"}, fmt.Sprint(web))
		if err != nil {
			t.Fatal(err)
		}
		if conn.Name != "web" || conn.Protocol != "vnc" || conn.Group != "Prod/Linux" ||
			conn.Params["hostname"] != "web1" || conn.Params["password"] != secret || len(conn.Params) != 2 {
			t.Errorf("Get = %+v", conn)
		}
	})

	if strings.Contains(logs.String(), secret) {
		t.Errorf("log contains a connection password:\n%s", logs)
	}
}

func TestSharingProfilesAndProxy(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", map[string]string{"hostname": "web1"})
	f.exec(`UPDATE guacamole_connection SET proxy_hostname = 'guacd-eu', proxy_port = 4823 WHERE connection_id = $1`, web)
	alice := f.user("alice")
	f.grant(alice, web, "READ")
	watch := f.profile(web, "watch", map[string]string{"read-only": "true"})
	f.profile(web, "collab", nil)
	f.grantProfile(alice, watch)
	other := f.conn("other", 0, "ssh", nil)
	f.grantProfile(alice, f.profile(other, "stray", nil)) // READ on a profile of an unreadable connection
	f.grantSystem(f.user("root"), "ADMINISTER")

	c, _ := newCatalog(t, dsn, noCache)
	ctx := context.Background()
	conn, err := c.Get(ctx, auth.Identity{Username: "alice"}, fmt.Sprint(web))
	if err != nil {
		t.Fatal(err)
	}
	if conn.ProxyHost != "guacd-eu" || conn.ProxyPort != 4823 {
		t.Errorf("proxy = %s:%d, want guacd-eu:4823", conn.ProxyHost, conn.ProxyPort)
	}
	want := []catalog.SharingProfile{{ID: fmt.Sprint(watch), Name: "watch", Params: map[string]string{"read-only": "true"}}}
	if fmt.Sprint(conn.SharingProfiles) != fmt.Sprint(want) {
		t.Errorf("SharingProfiles = %+v, want %+v", conn.SharingProfiles, want)
	}
	list, err := c.List(ctx, auth.Identity{Username: "alice"})
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %+v, %v", list, err)
	}
	root, err := c.Get(ctx, auth.Identity{Username: "root"}, fmt.Sprint(web))
	if err != nil || len(root.SharingProfiles) != 2 {
		t.Errorf("admin sees profiles %+v, %v; want both", root.SharingProfiles, err)
	}
	plain, err := c.Get(ctx, auth.Identity{Username: "root"}, fmt.Sprint(other))
	if err != nil || plain.ProxyHost != "" || plain.ProxyPort != 0 {
		t.Errorf("connection without proxy = %+v, %v", plain, err)
	}
}

func TestBalancingGroup(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	org := f.folder("Org", 0, "ORGANIZATIONAL")
	pool := f.folder("Pool", org, "BALANCING")
	p1 := f.conn("p1", pool, "ssh", map[string]string{"hostname": "h1"})
	p2 := f.conn("p2", pool, "ssh", map[string]string{"hostname": "h2"})
	f.conn("p3", pool, "ssh", map[string]string{"hostname": "h3"}) // idle, but kate may not read it
	kate := f.user("kate")
	f.grantFolder(kate, pool)
	f.grant(kate, p1, "READ")
	f.grant(kate, p2, "READ")
	lou := f.user("lou") // may read a child but not the group
	f.grant(lou, p1, "READ")
	f.openSessions(p1, 2)
	f.openSessions(p2, 1)

	c, _ := newCatalog(t, dsn, noCache)
	ctx := context.Background()
	kateID := auth.Identity{Username: "kate"}
	gid := groupID(pool)

	list, err := c.List(ctx, kateID)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, conn := range list {
		entries = append(entries, conn.Group+"|"+conn.Name+"|"+conn.ID+"|"+conn.Protocol)
	}
	wantEntries := []string{"Org|Pool|" + gid + "|ssh", fmt.Sprintf("Org/Pool|p1|%d|ssh", p1), fmt.Sprintf("Org/Pool|p2|%d|ssh", p2)}
	if !slices.Equal(entries, wantEntries) {
		t.Errorf("List = %v, want %v", entries, wantEntries)
	}

	conn, err := c.Get(ctx, kateID, gid)
	if err != nil || conn.ID != fmt.Sprint(p2) || conn.Params["hostname"] != "h2" {
		t.Fatalf("Get(%s) = %+v, %v; want p2 (least used readable)", gid, conn, err)
	}
	f.openSessions(p2, 2) // p2 now has 3, p1 has 2
	if conn, err = c.Get(ctx, kateID, gid); err != nil || conn.ID != fmt.Sprint(p1) {
		t.Errorf("Get(%s) = %q, %v; want p1", gid, conn.ID, err)
	}
	// Acquire through the group records the child.
	release, err := c.Acquire(ctx, kateID, conn, "")
	if err != nil {
		t.Fatal(err)
	}
	release()
	if n := f.scalar(`SELECT count(*) FROM guacamole_connection_history WHERE username = 'kate' AND connection_id = $1`, p1); n != 1 {
		t.Errorf("history rows for kate on p1 = %d, want 1", n)
	}

	if _, err := c.Get(ctx, auth.Identity{Username: "lou"}, gid); !errors.Is(err, catalog.ErrForbidden) {
		t.Errorf("Get without group READ: %v, want ErrForbidden", err)
	}
	if _, err := c.Get(ctx, kateID, groupID(org)); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get organizational group: %v, want ErrNotFound", err)
	}
	if _, err := c.Get(ctx, kateID, "g:999999"); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Get missing group: %v, want ErrNotFound", err)
	}
}

// TestLimitsAcrossInstances runs two Catalogs with separate pools, as two
// goguacd replicas sharing one database would.
func TestLimitsAcrossInstances(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	lim := f.conn("limited", 0, "ssh", nil)
	f.exec(`UPDATE guacamole_connection SET max_connections = 2 WHERE connection_id = $1`, lim)
	perUser := f.conn("per-user", 0, "ssh", nil)
	f.exec(`UPDATE guacamole_connection SET max_connections_per_user = 1 WHERE connection_id = $1`, perUser)
	pool := f.folder("Pool", 0, "BALANCING")
	f.exec(`UPDATE guacamole_connection_group SET max_connections = 1 WHERE connection_group_id = $1`, pool)
	c1 := f.conn("c1", pool, "ssh", nil)
	c2 := f.conn("c2", pool, "ssh", nil)

	a, _ := newCatalog(t, dsn, noCache)
	b, _ := newCatalog(t, dsn, noCache)
	ctx := context.Background()
	conn := func(id int32) catalog.Connection { return catalog.Connection{ID: fmt.Sprint(id)} }

	t.Run("max_connections", func(t *testing.T) {
		const tries = 16
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			releases []func()
			tooMany  int
		)
		for i := range tries {
			cat := a
			if i%2 == 1 {
				cat = b
			}
			wg.Go(func() {
				rel, err := cat.Acquire(ctx, auth.Identity{Username: fmt.Sprint("u", i)}, conn(lim), "")
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					releases = append(releases, rel)
				case errors.Is(err, catalog.ErrTooMany):
					tooMany++
				default:
					t.Errorf("Acquire: %v", err)
				}
			})
		}
		wg.Wait()
		if len(releases) != 2 || tooMany != tries-2 {
			t.Fatalf("%d acquired, %d refused; want 2 and %d", len(releases), tooMany, tries-2)
		}
		releases[0]()
		rel, err := b.Acquire(ctx, auth.Identity{Username: "late"}, conn(lim), "")
		if err != nil {
			t.Fatalf("Acquire after a release: %v", err)
		}
		if _, err := a.Acquire(ctx, auth.Identity{Username: "later"}, conn(lim), ""); !errors.Is(err, catalog.ErrTooMany) {
			t.Errorf("Acquire over the limit: %v, want ErrTooMany", err)
		}
		rel()
		releases[1]()
	})

	t.Run("max_connections_per_user", func(t *testing.T) {
		alice := auth.Identity{Username: "alice"}
		rel, err := a.Acquire(ctx, alice, conn(perUser), "")
		if err != nil {
			t.Fatal(err)
		}
		defer rel()
		if _, err := b.Acquire(ctx, alice, conn(perUser), ""); !errors.Is(err, catalog.ErrTooMany) {
			t.Errorf("second session of alice: %v, want ErrTooMany", err)
		}
		relBob, err := b.Acquire(ctx, auth.Identity{Username: "bob"}, conn(perUser), "")
		if err != nil {
			t.Fatalf("bob: %v", err)
		}
		relBob()
	})

	t.Run("balancing group limit", func(t *testing.T) {
		rel, err := a.Acquire(ctx, auth.Identity{Username: "x"}, conn(c1), "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Acquire(ctx, auth.Identity{Username: "y"}, conn(c2), ""); !errors.Is(err, catalog.ErrTooMany) {
			t.Errorf("second session in a group with max_connections 1: %v, want ErrTooMany", err)
		}
		rel()
		rel2, err := b.Acquire(ctx, auth.Identity{Username: "y"}, conn(c2), "")
		if err != nil {
			t.Fatalf("after release: %v", err)
		}
		rel2()
	})

	t.Run("organizational folder limits ignored", func(t *testing.T) {
		folder := f.folder("Folder", 0, "ORGANIZATIONAL")
		f.exec(`UPDATE guacamole_connection_group SET max_connections = 1, max_connections_per_user = 1 WHERE connection_group_id = $1`, folder)
		in := f.conn("in-folder", folder, "ssh", nil)
		for range 2 {
			rel, err := a.Acquire(ctx, auth.Identity{Username: "z"}, conn(in), "")
			if err != nil {
				t.Fatalf("Acquire in organizational folder: %v", err)
			}
			defer rel()
		}
	})

	if _, err := a.Acquire(ctx, auth.Identity{Username: "x"}, conn(999999), ""); !errors.Is(err, catalog.ErrNotFound) {
		t.Errorf("Acquire missing connection: %v, want ErrNotFound", err)
	}
}

func TestHistory(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.user("alice")
	aliceUserID := f.scalar(`SELECT user_id FROM guacamole_user u JOIN guacamole_entity e USING (entity_id) WHERE e.name = 'alice'`)
	c, _ := newCatalog(t, dsn, noCache)
	ctx := context.Background()

	release, err := c.Acquire(ctx, auth.Identity{Username: "alice"}, catalog.Connection{ID: fmt.Sprint(web), Name: "stale name"}, "203.0.113.5:4444")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		userID             *int32
		username, connName string
		remote             *string
		connID             *int32
		open               bool
	}
	read := func(username string) row {
		t.Helper()
		var r row
		if err := db.QueryRow(ctx, `SELECT user_id, username, remote_host, connection_id, connection_name,
		        start_date IS NOT NULL AND end_date IS NULL AND (end_date IS NULL OR end_date >= start_date)
		   FROM guacamole_connection_history WHERE username = $1`, username).
			Scan(&r.userID, &r.username, &r.remote, &r.connID, &r.connName, &r.open); err != nil {
			t.Fatalf("history row of %s: %v", username, err)
		}
		return r
	}
	r := read("alice")
	if r.userID == nil || *r.userID != aliceUserID || r.remote == nil || *r.remote != "203.0.113.5" ||
		r.connID == nil || *r.connID != web || r.connName != "web" || !r.open {
		t.Errorf("open row = %+v (user_id %v), want alice's id %d, 203.0.113.5, web, open", r, r.userID, aliceUserID)
	}
	release()
	release() // a second call is a no-op
	var closed bool
	if err := db.QueryRow(ctx, `SELECT end_date IS NOT NULL AND end_date >= start_date FROM guacamole_connection_history WHERE username = 'alice'`).Scan(&closed); err != nil || !closed {
		t.Errorf("row closed = %v, %v; want end_date set", closed, err)
	}

	// Users not in the database are recorded without user_id.
	c2, _ := newCatalog(t, dsn, noCache, allowUnknown)
	rel, err := c2.Acquire(ctx, auth.Identity{Username: "ghost"}, catalog.Connection{ID: fmt.Sprint(web)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r := read("ghost"); r.userID != nil || r.remote != nil || !r.open {
		t.Errorf("ghost row = %+v, want NULL user_id and remote_host", r)
	}
	rel()
}

func TestOperatorChangesSeen(t *testing.T) {
	dsn, db := newDatabase(t, adminDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", map[string]string{"hostname": "old"})
	alice := f.user("alice")
	c, _ := newCatalog(t, dsn, func(c *Config) { c.CacheTTL = MaxCacheTTL })
	ctx := context.Background()
	who := auth.Identity{Username: "alice"}
	id := fmt.Sprint(web)

	if _, err := c.Get(ctx, who, id); !errors.Is(err, catalog.ErrForbidden) {
		t.Fatalf("before grant: %v", err)
	}
	f.grant(alice, web, "READ")
	eventually(t, 200, "grant seen", func() bool { _, err := c.Get(ctx, who, id); return err == nil })

	// Returned maps are copies: editing them does not leak into the cache.
	conn, _ := c.Get(ctx, who, id)
	conn.Params["hostname"] = "tampered"
	if again, _ := c.Get(ctx, who, id); again.Params["hostname"] != "old" {
		t.Errorf("cached params changed by a caller: %q", again.Params["hostname"])
	}

	// Concurrent readers share cache entries (run with -race).
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				if conn, err := c.Get(ctx, who, id); err != nil || conn.Params["hostname"] != "old" {
					t.Errorf("concurrent Get = %v, %v", conn.Params, err)
					return
				}
				if _, err := c.List(ctx, who); err != nil {
					t.Errorf("concurrent List: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()

	f.exec(`UPDATE guacamole_connection_parameter SET parameter_value = 'new' WHERE connection_id = $1`, web)
	eventually(t, 200, "parameter change seen", func() bool {
		conn, err := c.Get(ctx, who, id)
		return err == nil && conn.Params["hostname"] == "new"
	})
	f.userSet(alice, "disabled", true)
	eventually(t, 200, "disabled user refused", func() bool {
		_, err := c.Get(ctx, who, id)
		return errors.Is(err, catalog.ErrForbidden)
	})
}

// TestDatabaseDown stops and restarts a cluster of its own under a Catalog.
func TestDatabaseDown(t *testing.T) {
	dir, clusterDSN, err := startCluster()
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	defer stopCluster(dir) // no-op error if already stopped
	dsn, db := newDatabase(t, clusterDSN)
	f := fixture{t, db}
	web := f.conn("web", 0, "vnc", nil)
	f.grant(f.user("alice"), web, "READ")
	db.Close(context.Background())

	c, logs := newCatalog(t, dsn, noCache, func(c *Config) { c.QueryTimeout = time.Second })
	c.retryBase = 50 * time.Millisecond
	ctx := context.Background()
	who := auth.Identity{Username: "alice"}
	id := fmt.Sprint(web)
	conn, err := c.Get(ctx, who, id)
	if err != nil {
		t.Fatal(err)
	}
	release, err := c.Acquire(ctx, who, conn, "127.0.0.1:1234")
	if err != nil {
		t.Fatal(err)
	}

	if err := stopCluster(dir); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := c.Get(ctx, who, id); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("Get with database down: %v, want ErrUnavailable", err)
	}
	if _, err := c.List(ctx, who); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("List with database down: %v, want ErrUnavailable", err)
	}
	if _, err := c.Acquire(ctx, who, conn, ""); !errors.Is(err, catalog.ErrUnavailable) {
		t.Errorf("Acquire with database down: %v, want ErrUnavailable", err)
	}
	t.Logf("three calls failed in %v with the database down", time.Since(start))
	release() // fails now, retried in the background

	if err := restartCluster(dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, 400, "catalog recovers", func() bool { _, err := c.Get(ctx, who, id); return err == nil })
	eventually(t, 1200, "history row closed by background retry", func() bool {
		var n int32
		err := c.pool.QueryRow(ctx, `SELECT count(*) FROM guacamole_connection_history WHERE end_date IS NULL`).Scan(&n)
		return err == nil && n == 0
	})
	if !strings.Contains(logs.String(), "history row closed after retry") {
		t.Errorf("log lacks the retry:\n%s", logs)
	}
}

// benchFixture builds a catalog of 200 connections in 10 folders, readable
// by alice through two levels of groups.
func benchFixture(b *testing.B) (dsn string, first int32) {
	dsn, db := newDatabase(b, adminDSN)
	f := fixture{b, db}
	alice, team, dept := f.user("alice"), f.group("team", false), f.group("dept", false)
	f.member(team, alice)
	f.member(dept, team)
	for g := range 10 {
		folder := f.folder(fmt.Sprint("folder", g), 0, "ORGANIZATIONAL")
		for i := range 20 {
			id := f.conn(fmt.Sprintf("conn%d-%d", g, i), folder, "ssh",
				map[string]string{"hostname": "h", "port": "22", "username": "u", "password": secret})
			f.grant(dept, id, "READ")
			if first == 0 {
				first = id
			}
		}
	}
	return dsn, first
}

func BenchmarkGet(b *testing.B) {
	dsn, first := benchFixture(b)
	for _, bc := range []struct {
		name string
		ttl  time.Duration
	}{{"uncached", -1}, {"cached", MaxCacheTTL}} {
		b.Run(bc.name, func(b *testing.B) {
			c, _ := newCatalog(b, dsn, func(c *Config) { c.CacheTTL = bc.ttl })
			ctx, who, id := context.Background(), auth.Identity{Username: "alice"}, fmt.Sprint(first)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Get(ctx, who, id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	dsn, first := benchFixture(b)
	for _, bc := range []struct {
		name      string
		heartbeat time.Duration
	}{{"crash_cleanup", 0}, {"no_cleanup", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			c, _ := newCatalog(b, dsn, func(c *Config) { c.Heartbeat = bc.heartbeat })
			ctx, who, conn := context.Background(), auth.Identity{Username: "alice"}, catalog.Connection{ID: fmt.Sprint(first)}
			b.ReportAllocs()
			for b.Loop() {
				release, err := c.Acquire(ctx, who, conn, "127.0.0.1:1")
				if err != nil {
					b.Fatal(err)
				}
				release()
			}
		})
	}
}
