package pgcatalog

import (
	"testing"
)

var parseIDTests = []struct {
	in        string
	id        int32
	group, ok bool
}{
	{"1", 1, false, true},
	{"42", 42, false, true},
	{"2147483647", 2147483647, false, true},
	{"g:7", 7, true, true},
	{"", 0, false, false},
	{"0", 0, false, false},
	{"07", 0, false, false},
	{"+7", 0, false, false},
	{"-7", 0, false, false},
	{" 7", 0, false, false},
	{"7 ", 0, false, false},
	{"7a", 0, false, false},
	{"2147483648", 0, false, false},
	{"g:", 0, false, false},
	{"g:g:1", 0, false, false},
	{"G:1", 0, false, false},
	{"1_0", 0, false, false},
}

func TestParseID(t *testing.T) {
	for _, tt := range parseIDTests {
		id, group, ok := parseID(tt.in)
		if id != tt.id || group != tt.group || ok != tt.ok {
			t.Errorf("parseID(%q) = %d, %v, %v; want %d, %v, %v", tt.in, id, group, ok, tt.id, tt.group, tt.ok)
		}
	}
}

func TestParseIDAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() { parseID("g:12345") }); n != 0 {
		t.Errorf("parseID allocates %v times, want 0", n)
	}
}

// FuzzParseID checks that every accepted ID is canonical: formatting the
// parsed value gives back the input, so one row never has two IDs.
func FuzzParseID(f *testing.F) {
	for _, tt := range parseIDTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, group, ok := parseID(s)
		if !ok {
			return
		}
		if id <= 0 {
			t.Fatalf("parseID(%q) accepted non-positive %d", s, id)
		}
		back := decimalID(id)
		if group {
			back = groupID(id)
		}
		if back != s {
			t.Fatalf("parseID(%q) = %d, %v formats back as %q", s, id, group, back)
		}
	})
}

func BenchmarkParseID(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len("g:12345")))
	for b.Loop() {
		parseID("g:12345")
	}
}
