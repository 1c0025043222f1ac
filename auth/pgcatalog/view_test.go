package pgcatalog

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/goguacd/goguacd/auth/catalog"
)

func TestGroupPaths(t *testing.T) {
	tests := []struct {
		name   string
		groups []groupRow
		want   map[int32]string
	}{
		{"empty", nil, map[int32]string{0: ""}},
		{"nested", []groupRow{
			{id: 1, name: "Prod"}, {id: 2, parent: 1, name: "Linux"}, {id: 3, parent: 2, name: "Web"}, {id: 4, name: "Lab"},
		}, map[int32]string{0: "", 1: "Prod", 2: "Prod/Linux", 3: "Prod/Linux/Web", 4: "Lab"}},
		{"child listed before parent", []groupRow{
			{id: 2, parent: 1, name: "B"}, {id: 1, name: "A"},
		}, map[int32]string{0: "", 1: "A", 2: "A/B"}},
		{"cycle", []groupRow{
			{id: 1, parent: 2, name: "A"}, {id: 2, parent: 1, name: "B"},
		}, map[int32]string{0: "", 1: "B/A", 2: "A/B"}},
		{"self parent", []groupRow{{id: 5, parent: 5, name: "X"}}, map[int32]string{0: "", 5: "X"}},
		{"unknown parent", []groupRow{{id: 3, parent: 99, name: "Orphan"}}, map[int32]string{0: "", 3: "Orphan"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := groupPaths(tt.groups); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("groupPaths = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestBuildView(t *testing.T) {
	groups := []groupRow{
		{id: 1, name: "Prod", readable: true},
		{id: 2, parent: 1, name: "Pool", balancing: true, readable: true},
		{id: 3, name: "Hidden pool", balancing: true, readable: false},
		{id: 4, name: "Empty pool", balancing: true, readable: true},
		{id: 5, name: "Mixed", balancing: true, readable: true},
	}
	conns := []connRow{
		{id: 10, parent: 1, name: "web", protocol: "vnc", proxyHost: "guacd2", proxyPort: 4823},
		{id: 11, parent: 2, name: "p1", protocol: "ssh", maxConns: 2},
		{id: 12, parent: 2, name: "p2", protocol: "ssh", failoverOnly: true},
		{id: 13, parent: 3, name: "h1", protocol: "ssh"},
		{id: 14, name: "alpha", protocol: "rdp"},
		{id: 15, parent: 5, name: "m1", protocol: "ssh"},
		{id: 16, parent: 5, name: "m2", protocol: "vnc"},
	}
	params := map[int32]map[string]string{10: {"hostname": "web1", "password": "s3cret"}}
	profiles := []profileRow{{id: 7, conn: 10, name: "watch"}, {id: 6, conn: 10, name: "collab"}}
	pparams := map[int32]map[string]string{7: {"read-only": "true"}}

	v := buildView(groups, conns, params, profiles, pparams)
	var got []string
	for _, c := range v.conns {
		got = append(got, fmt.Sprintf("%s|%s|%s|%s", c.Group, c.Name, c.ID, c.Protocol))
	}
	want := []string{
		"|Mixed|g:5|",
		"|alpha|14|rdp",
		"Hidden pool|h1|13|ssh",
		"Mixed|m1|15|ssh",
		"Mixed|m2|16|vnc",
		"Prod|Pool|g:2|ssh",
		"Prod|web|10|vnc",
		"Prod/Pool|p1|11|ssh",
		"Prod/Pool|p2|12|ssh",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("view order:\n got %q\nwant %q", got, want)
	}
	web := v.conns[v.byID["10"]]
	wantWeb := catalog.Connection{
		ID: "10", Name: "web", Protocol: "vnc", Group: "Prod",
		Params:    map[string]string{"hostname": "web1", "password": "s3cret"},
		ProxyHost: "guacd2", ProxyPort: 4823,
		SharingProfiles: []catalog.SharingProfile{
			{ID: "6", Name: "collab", Params: map[string]string{}},
			{ID: "7", Name: "watch", Params: map[string]string{"read-only": "true"}},
		},
	}
	if !reflect.DeepEqual(web, wantWeb) {
		t.Errorf("web = %+v\nwant %+v", web, wantWeb)
	}
	if a := v.conns[v.byID["14"]]; a.Params == nil {
		t.Error("connection without parameters has nil Params")
	}
	wantKids := map[int32][]child{
		2: {{id: 11, maxConns: 2}, {id: 12, failoverOnly: true}},
		5: {{id: 15}, {id: 16}},
	}
	if !reflect.DeepEqual(v.children, wantKids) {
		t.Errorf("children = %v, want %v", v.children, wantKids)
	}
}

func TestPickChild(t *testing.T) {
	tests := []struct {
		name   string
		kids   []child
		active map[int32]int64
		want   int32
	}{
		{"least used", []child{{id: 1}, {id: 2}, {id: 3}}, map[int32]int64{1: 2, 2: 1, 3: 4}, 2},
		{"tie goes to lowest id", []child{{id: 3}, {id: 2}}, nil, 2},
		{"full skipped", []child{{id: 1, maxConns: 1}, {id: 2}}, map[int32]int64{1: 0 + 1, 2: 5}, 2},
		{"failover only when others full", []child{{id: 1, failoverOnly: true}, {id: 2, maxConns: 3}}, map[int32]int64{2: 1}, 2},
		{"failover after others full", []child{{id: 1, failoverOnly: true}, {id: 2, maxConns: 1}}, map[int32]int64{2: 1}, 1},
		{"all full: least used", []child{{id: 1, maxConns: 1}, {id: 2, maxConns: 2}}, map[int32]int64{1: 1, 2: 3}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pickChild(tt.kids, tt.active); got.id != tt.want {
				t.Errorf("pickChild = %d, want %d", got.id, tt.want)
			}
		})
	}
}

func TestCloneConnection(t *testing.T) {
	orig := catalog.Connection{
		ID: "1", Params: map[string]string{"a": "1"},
		SharingProfiles: []catalog.SharingProfile{{ID: "2", Params: map[string]string{"b": "2"}}},
	}
	c := cloneConnection(orig)
	c.Params["a"] = "x"
	c.SharingProfiles[0].Params["b"] = "x"
	c.SharingProfiles[0].Name = "x"
	if orig.Params["a"] != "1" || orig.SharingProfiles[0].Params["b"] != "2" || orig.SharingProfiles[0].Name != "" {
		t.Errorf("clone shares state with original: %+v", orig)
	}
}

func BenchmarkBuildView(b *testing.B) {
	var (
		groups []groupRow
		conns  []connRow
		params = make(map[int32]map[string]string)
	)
	for g := int32(1); g <= 20; g++ {
		groups = append(groups, groupRow{id: g, parent: g / 4, name: fmt.Sprint("group", g), readable: true, balancing: g%5 == 0})
	}
	for i := int32(1); i <= 500; i++ {
		conns = append(conns, connRow{id: i, parent: i % 21, name: fmt.Sprint("conn", i), protocol: "ssh"})
		params[i] = map[string]string{"hostname": "h", "port": "22", "username": "u"}
	}
	b.ReportAllocs()
	for b.Loop() {
		buildView(groups, conns, params, nil, nil)
	}
}
