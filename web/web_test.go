package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/goguacd/goguacd/auth"
	"github.com/goguacd/goguacd/auth/catalog"
)

type userAuth struct{}

func (userAuth) Authenticate(r *http.Request) (auth.Identity, error) {
	if u := r.Header.Get("X-User"); u != "" {
		return auth.Identity{Username: u}, nil
	}
	return auth.Identity{}, &auth.Error{Status: http.StatusUnauthorized, Message: "Log in first."}
}

type listCatalog []catalog.Connection

func (l listCatalog) List(context.Context, auth.Identity) ([]catalog.Connection, error) {
	return l, nil
}
func (l listCatalog) Get(context.Context, auth.Identity, string) (catalog.Connection, error) {
	return catalog.Connection{}, catalog.ErrNotFound
}

var assets = fstest.MapFS{
	"index.html": {Data: []byte("<!doctype html><title>goguacd</title>")},
	"app.js":     {Data: []byte("import Guacamole from './vendor/guacamole-common.js';")},
	BundlePath:   {Data: []byte("export default {};")},
}

func get(t *testing.T, h http.Handler, path, user string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	if user != "" {
		r.Header.Set("X-User", user)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func TestServesPageUnderBasePath(t *testing.T) {
	h := New(Config{Auth: userAuth{}, BasePath: "/guacamole/", Assets: assets})
	tests := []struct {
		path   string
		status int
		want   string
	}{
		{"/guacamole/", 200, "<title>goguacd</title>"},
		{"/guacamole/app.js", 200, "import Guacamole"},
		{"/guacamole/" + BundlePath, 200, "export default"},
		{"/guacamole", 301, ""},
		{"/app.js", 404, ""},
		{"/guacamole/nope.js", 404, ""},
	}
	for _, tt := range tests {
		resp := get(t, h, tt.path, "")
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tt.status || !strings.Contains(string(body), tt.want) {
			t.Errorf("GET %s: %d %.60q, want %d with %q", tt.path, resp.StatusCode, body, tt.status, tt.want)
		}
	}
	if loc := get(t, h, "/guacamole", "").Header.Get("Location"); loc != "/guacamole/" {
		t.Errorf("redirect to %q", loc)
	}
}

func TestMissingBundleExplainsItself(t *testing.T) {
	h := New(Config{Auth: userAuth{}, Assets: fstest.MapFS{"index.html": {Data: []byte("page")}}})
	if h.HasBundle() {
		t.Fatal("bundle reported present")
	}
	resp := get(t, h, "/", "")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "scripts/web-assets.sh") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestEmbeddedAssetsCompile(t *testing.T) {
	// The embedded tree always holds the page, with or without the bundle.
	h := New(Config{Auth: userAuth{}})
	for _, p := range []string{"/app.js", "/app.css"} {
		if resp := get(t, h, p, ""); resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
}

func TestConnectionsListHasNoSecrets(t *testing.T) {
	cat := listCatalog{{ID: "c1", Name: "Desk", Protocol: "vnc", Group: "Lab", Params: map[string]string{"password": "hunter2", "hostname": "10.0.0.5"},
		SharingProfiles: []catalog.SharingProfile{{ID: "ro", Name: "Watch", Params: map[string]string{"read-only": "true"}}}}}
	h := New(Config{Auth: userAuth{}, Catalog: cat, Assets: assets})
	resp := get(t, h, "/api/connections", "alice")
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	for _, secret := range []string{"hunter2", "10.0.0.5", "read-only"} {
		if strings.Contains(string(body), secret) {
			t.Fatalf("list leaks %q: %s", secret, body)
		}
	}
	var got listJSON
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := connectionJSON{ID: "c1", Name: "Desk", Protocol: "vnc", Group: "Lab", Sharing: []sharingJSON{{ID: "ro", Name: "Watch"}}}
	if got.Username != "alice" || len(got.Connections) != 1 || got.Connections[0].ID != want.ID || got.Connections[0].Sharing[0] != want.Sharing[0] || got.Connections[0].Group != "Lab" {
		t.Fatalf("got %+v", got)
	}
	if resp := get(t, h, "/api/connections", ""); resp.StatusCode != 401 {
		t.Fatalf("anonymous list: %d", resp.StatusCode)
	}
}
