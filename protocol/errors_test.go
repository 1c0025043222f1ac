package protocol

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrorSnippet(t *testing.T) {
	long := strings.Repeat("A", 100) + "!" + strings.Repeat("B", 100)
	tests := []struct {
		name string
		in   string
		off  int
		want string
	}{
		{"start", "x.abc;", 0, `"x.abc;"`},
		{"middle of long input", long, 100, `"` + strings.Repeat("A", 16) + "!" + strings.Repeat("B", 15) + `"`},
		{"control bytes quoted", "\x00\n\xff", 1, `"\x00\n\xff"`},
		{"offset past end keeps what precedes", "ab", 5, `"ab"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := newParseError(ErrMalformed, []byte(tt.in), tt.off)
			if pe.Snippet != tt.want {
				t.Errorf("Snippet = %s, want %s", pe.Snippet, tt.want)
			}
			if !errors.Is(pe, ErrMalformed) || pe.Offset != tt.off {
				t.Errorf("Is/Offset wrong: %v", pe)
			}
			if !strings.HasPrefix(pe.Error(), "protocol: malformed instruction at offset ") {
				t.Errorf("Error() = %q", pe.Error())
			}
		})
	}
}
