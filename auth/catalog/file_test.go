package catalog

import (
	"context"
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/goguacd/goguacd/auth"
)

func loadExample(t testing.TB) *File {
	t.Helper()
	f, err := LoadFile("testdata/example.yaml")
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	return f
}

func ids(cs []Connection) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestPermissions(t *testing.T) {
	f := loadExample(t)
	ctx := context.Background()
	tests := []struct {
		name    string
		id      auth.Identity
		want    []string // List result, sorted by group then name
		get     string
		wantErr error
	}{
		{name: "user direct", id: auth.Identity{Username: "alice@example.com"}, want: []string{"desktop", "lab"}, get: "desktop"},
		{name: "user refused other", id: auth.Identity{Username: "alice@example.com"}, want: []string{"desktop", "lab"}, get: "shell", wantErr: ErrForbidden},
		{name: "via group", id: auth.Identity{Username: "bob@example.com", Groups: []string{"staff", "researchers"}}, want: []string{"lab", "shell"}, get: "shell"},
		{name: "admin", id: auth.Identity{Username: "carol@example.com"}, want: []string{"desktop", "lab", "shell"}, get: "shell"},
		{name: "default only", id: auth.Identity{Username: "dave@example.com"}, want: []string{"lab"}, get: "lab"},
		{name: "default refuses others", id: auth.Identity{Username: "dave@example.com"}, want: []string{"lab"}, get: "desktop", wantErr: ErrForbidden},
		{name: "case matters", id: auth.Identity{Username: "Alice@example.com"}, want: []string{"lab"}, get: "desktop", wantErr: ErrForbidden},
		{name: "no username", id: auth.Identity{Groups: []string{"researchers"}}, get: "lab", wantErr: ErrForbidden},
		{name: "unknown connection", id: auth.Identity{Username: "carol@example.com"}, want: []string{"desktop", "lab", "shell"}, get: "nope", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := f.List(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(list); !slices.Equal(got, tt.want) {
				t.Fatalf("List = %q, want %q", got, tt.want)
			}
			c, err := f.Get(ctx, tt.id, tt.get)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Get(%q) err = %v, want %v", tt.get, err, tt.wantErr)
			}
			if err == nil && c.ID != tt.get {
				t.Fatalf("Get(%q) returned %q", tt.get, c.ID)
			}
			// Get and List must agree on every connection.
			for _, cid := range []string{"desktop", "shell", "lab"} {
				_, err := f.Get(ctx, tt.id, cid)
				if listed := slices.Contains(tt.want, cid); listed != (err == nil) {
					t.Fatalf("Get(%q) err = %v but listed = %v", cid, err, listed)
				}
			}
		})
	}
}

func TestLoadedFields(t *testing.T) {
	f := loadExample(t)
	admin := auth.Identity{Username: "carol@example.com"}
	c, err := f.Get(context.Background(), admin, "desktop")
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Demo desktop" || c.Protocol != "vnc" || c.Group != "Demos" || c.Params["port"] != "5901" ||
		len(c.SharingProfiles) != 1 || c.SharingProfiles[0].Params["read-only"] != "true" {
		t.Fatalf("desktop = %#v / %v / %v", c, c.Params, c.SharingProfiles)
	}
	shell, _ := f.Get(context.Background(), admin, "shell")
	if shell.Params["port"] != "22" {
		t.Fatalf("numeric port = %q, want \"22\"", shell.Params["port"])
	}
	lab, _ := f.Get(context.Background(), admin, "lab")
	if lab.ProxyHost != "guacd.lab.internal" || lab.ProxyPort != 4822 {
		t.Fatalf("lab proxy = %s:%d", lab.ProxyHost, lab.ProxyPort)
	}
	// Returned values are copies: changing them must not change the catalog.
	c.Params["hostname"] = "evil"
	c.SharingProfiles[0].Params["read-only"] = "false"
	again, _ := f.Get(context.Background(), admin, "desktop")
	if again.Params["hostname"] != "127.0.0.1" || again.SharingProfiles[0].Params["read-only"] != "true" {
		t.Fatal("caller mutation reached the catalog")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantLine int
		wantMsg  string
	}{
		{"empty file", "", 0, "empty file"},
		// yaml.v3 reports the line where the broken block starts.
		{"syntax", "connections:\n  - id: a\n   protocol: vnc\n", 1, "invalid YAML: did not find expected '-' indicator"},
		{"unclosed flow", "connections: []\nusers: [\n", 2, "invalid YAML"},
		{"syntax without line", "connections: a: b\n", 0, "invalid YAML: mapping values are not allowed"},
		{"top-level typo", "connections: []\nconections: []\n", 2, `unknown top-level key "conections"`},
		{"no protocol", "connections:\n  - id: a\n    name: A\n", 2, "protocol is required"},
		{"empty protocol", "connections:\n  - id: a\n    protocol: \"\"\n", 3, "protocol: must not be empty"},
		{"unknown protocol", "connections:\n  - id: a\n    protocol: vcn\n", 3, "unknown protocol (want one of kubernetes, rdp, ssh, telnet, vnc)"},
		{"no id", "connections:\n  - protocol: vnc\n", 2, "id is required"},
		{"bad id", "connections:\n  - id: a/b\n    protocol: vnc\n", 2, `connection id "a/b"`},
		{"duplicate id", "connections:\n  - {id: a, protocol: vnc}\n  - {id: b, protocol: ssh}\n  - {id: a, protocol: ssh}\n", 4, `duplicate connection id "a"`},
		{"duplicate key", "connections:\n  - id: a\n    protocol: vnc\n    id: b\n", 4, `duplicate key "id"`},
		{"unknown connection key", "connections:\n  - id: a\n    protocol: vnc\n    parms: {}\n", 4, `unknown key "parms"`},
		{"params not a map", "connections:\n  - id: a\n    protocol: vnc\n    params: [x]\n", 4, "want a mapping"},
		{"nested param", "connections:\n  - id: a\n    protocol: vnc\n    params:\n      port: {x: 1}\n", 5, "params.port: want a single value"},
		{"bad proxy port", "connections:\n  - id: a\n    protocol: vnc\n    proxy_port: 99999\n", 4, "proxy_port"},
		{"duplicate sharing profile", "connections:\n  - id: a\n    protocol: vnc\n    sharing_profiles:\n      - {id: v}\n      - {id: v}\n", 6, `duplicate sharing profile id "v"`},
		{"user unknown connection", "connections:\n  - {id: a, protocol: vnc}\nusers:\n  bob: {connections: [a,\n    zzz]}\n", 5, `unknown connection "zzz"`},
		{"group unknown connection", "groups:\n  ops: {connections: [x]}\nconnections: []\n", 2, `unknown connection "x"`},
		{"default unknown connection", "connections: []\ndefaults: {connections: [x]}\n", 2, `unknown connection "x"`},
		{"admin in defaults", "connections: []\ndefaults: {admin: true}\n", 2, `unknown key "admin"`},
		{"admin not bool", "connections: []\nusers:\n  bob: {admin: yes}\n", 3, "want true or false"},
		{"duplicate user", "connections: []\nusers:\n  bob: {}\n  bob: {}\n", 4, `duplicate key "bob"`},
		{"connections not a list", "connections: {a: 1}\n", 1, "want a list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("cat.yaml", []byte(tt.yaml))
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v, want *LoadError", err)
			}
			if le.Line != tt.wantLine || !strings.Contains(le.Msg, tt.wantMsg) {
				t.Fatalf("err = %q (line %d), want line %d and %q", err, le.Line, tt.wantLine, tt.wantMsg)
			}
			if tt.wantLine > 0 && !strings.Contains(err.Error(), "cat.yaml:") {
				t.Fatalf("err %q does not name the file and line", err)
			}
		})
	}
}

func TestLoadAccepts(t *testing.T) {
	tests := []struct{ name, yaml string }{
		{"empty catalog", "connections: []\n"},
		{"null sections", "connections:\nusers:\ngroups:\ndefaults:\n"},
		{"users before connections", "users:\n  bob: {connections: [a]}\nconnections:\n  - {id: a, protocol: telnet}\n"},
		{"anchors", "connections:\n  - id: a\n    protocol: vnc\n    params: &p {hostname: h}\n  - id: b\n    protocol: vnc\n    params: *p\n"},
		{"null param", "connections:\n  - id: a\n    protocol: vnc\n    params: {password: }\n"},
	}
	for _, tt := range tests {
		if _, err := Parse("cat.yaml", []byte(tt.yaml)); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("connections: []\n"))
	f.Add([]byte("connections:\n  - {id: a, protocol: vnc, params: {x: 1}, sharing_profiles: [{id: v}]}\nusers: {bob: {connections: [a], admin: true}}\ngroups: {g: {connections: [a]}}\ndefaults: {connections: [a]}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("connections:\n  - id: a\n   protocol: vnc\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := Parse("fuzz.yaml", data)
		if err != nil {
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %v is not a *LoadError", err)
			}
			return
		}
		// List and Get agree for every user and group in the file.
		for _, name := range append(slices.Collect(maps.Keys(cat.users)), "nobody") {
			for _, gname := range append(slices.Collect(maps.Keys(cat.groups)), "no-group") {
				id := auth.Identity{Username: name, Groups: []string{gname}}
				listed, _ := cat.List(context.Background(), id)
				for cid := range cat.conns {
					_, err := cat.Get(context.Background(), id, cid)
					if slices.ContainsFunc(listed, func(c Connection) bool { return c.ID == cid }) != (err == nil) {
						t.Fatalf("List and Get disagree on %q for %+v", cid, id)
					}
				}
			}
		}
		// Every connection an admin sees must be gettable and valid.
		admin := auth.Identity{Username: "fuzz-admin"}
		cat.users["fuzz-admin"] = grant{admin: true}
		list, _ := cat.List(context.Background(), admin)
		if len(list) != cat.Len() {
			t.Fatalf("admin lists %d of %d", len(list), cat.Len())
		}
		for _, c := range list {
			if !validID(c.ID) || !Protocols[c.Protocol] || c.Name == "" {
				t.Fatalf("invalid connection accepted: %q %q %q", c.ID, c.Protocol, c.Name)
			}
			if _, err := cat.Get(context.Background(), admin, c.ID); err != nil {
				t.Fatalf("Get(%q): %v", c.ID, err)
			}
		}
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
