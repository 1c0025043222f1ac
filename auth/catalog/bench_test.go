package catalog

import (
	"context"
	"testing"

	"github.com/goguacd/goguacd/auth"
)

func BenchmarkFileGet(b *testing.B) {
	f := loadExample(b)
	ctx := context.Background()
	id := auth.Identity{Username: "bob@example.com", Groups: []string{"staff", "researchers"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Get(ctx, id, "shell"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseExample(b *testing.B) {
	data := mustRead(b, "testdata/example.yaml")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("example.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
