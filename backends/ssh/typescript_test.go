package ssh

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestTypescriptFiles(t *testing.T) {
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	for _, tc := range []struct {
		name     string
		st       func(dir string) typescriptSettings
		pre      map[string]string // files already there
		wantData string            // file the output must land in
		wantErr  bool
	}{
		{name: "plain", st: func(d string) typescriptSettings { return typescriptSettings{path: d, name: "t"} }, wantData: "t"},
		{name: "suffix on collision", st: func(d string) typescriptSettings { return typescriptSettings{path: d, name: "t"} },
			pre: map[string]string{"t": "old", "t.1": "old"}, wantData: "t.2"},
		{name: "write existing", st: func(d string) typescriptSettings {
			return typescriptSettings{path: d, name: "t", writeExisting: true}
		}, pre: map[string]string{"t": "old old old old old old old old"}, wantData: "t"},
		{name: "create path", st: func(d string) typescriptSettings {
			return typescriptSettings{path: filepath.Join(d, "new"), name: "t", create: true}
		}, wantData: "new/t"},
		{name: "missing path", st: func(d string) typescriptSettings { return typescriptSettings{path: filepath.Join(d, "no"), name: "t"} }, wantErr: true},
		{name: "name with slash", st: func(d string) typescriptSettings { return typescriptSettings{path: d, name: "../t"} }, wantErr: true},
		{name: "dot dot", st: func(d string) typescriptSettings { return typescriptSettings{path: d, name: ".."} }, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for n, c := range tc.pre {
				must(t, os.WriteFile(filepath.Join(dir, n), []byte(c), 0o600))
			}
			ts, err := openTypescript(tc.st(dir), now)
			if tc.wantErr {
				if err == nil {
					ts.close()
					t.Fatal("want an error")
				}
				return
			}
			must(t, err)
			ts.write([]byte("abc"))
			clock = clock.Add(1500 * time.Millisecond)
			ts.write([]byte("de"))
			ts.write(nil)
			must(t, ts.close())
			data, err := os.ReadFile(filepath.Join(dir, tc.wantData))
			must(t, err)
			if string(data) != typescriptHeader+"abcde"+typescriptFooter {
				t.Fatalf("data %q", data)
			}
			timing, err := os.ReadFile(filepath.Join(dir, tc.wantData+".timing"))
			must(t, err)
			if string(timing) != "0.000000 3\n1.500000 2\n" {
				t.Fatalf("timing %q", timing)
			}
		})
	}
}
