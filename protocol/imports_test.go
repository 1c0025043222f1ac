package protocol

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// nonStdImports returns the imports outside the standard library (whose
// paths have no dot in the first element) of the non-test Go files in dir,
// and how many imports it looked at.
func nonStdImports(dir string) (bad []string, checked int, err error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, 0, err
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			// Tests are not linked into importers, and the external example
			// package must import protocol itself.
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, 0, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			return nil, 0, err
		}
		for _, imp := range f.Imports {
			path, err := strconv.Unquote(imp.Path.Value)
			if err != nil {
				return nil, 0, err
			}
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				bad = append(bad, filepath.Base(name)+": "+path)
			}
			checked++
		}
	}
	return bad, checked, nil
}

// TestImportsStdlibOnly enforces the layering rule: everything in goguacd
// builds on protocol, so protocol itself may import only the standard
// library.
func TestImportsStdlibOnly(t *testing.T) {
	bad, checked, err := nonStdImports(".")
	if err != nil {
		t.Fatal(err)
	}
	if checked == 0 {
		t.Fatal("found no imports at all; the check is not looking at the package")
	}
	for _, b := range bad {
		t.Errorf("protocol imports outside the standard library: %s", b)
	}
}

// TestNonStdImportsDetects proves the check above can fail.
func TestNonStdImportsDetects(t *testing.T) {
	dir := t.TempDir()
	src := "package x\n\nimport (\n\t\"io\"\n\t\"github.com/gorilla/websocket\"\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "x.go"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	bad, checked, err := nonStdImports(dir)
	if err != nil || checked != 2 || !slices.Equal(bad, []string{"x.go: github.com/gorilla/websocket"}) {
		t.Fatalf("got %q, %d checked, %v", bad, checked, err)
	}
}
