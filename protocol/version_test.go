package protocol

import "testing"

func TestVersion(t *testing.T) {
	tests := []struct {
		in   string
		want Version
		str  string
	}{
		{"", Version100, Version1_0_0},
		{"VERSION_1_0_0", Version100, "VERSION_1_0_0"},
		{"VERSION_1_1_0", Version110, "VERSION_1_1_0"},
		{"VERSION_1_3_0", Version130, "VERSION_1_3_0"},
		{"VERSION_1_5_0", Version150, "VERSION_1_5_0"},
		{"VERSION_1_2_0", VersionUnknown, "VERSION_UNKNOWN"},
		{"VERSION_1_6_0", VersionUnknown, "VERSION_UNKNOWN"},
		{"version_1_5_0", VersionUnknown, "VERSION_UNKNOWN"},
	}
	for _, tt := range tests {
		got := ParseVersion([]byte(tt.in))
		if got != tt.want || got.String() != tt.str {
			t.Errorf("ParseVersion(%q) = %#x %s, want %#x %s", tt.in, int(got), got, int(tt.want), tt.str)
		}
	}
	// guacd's numeric values, which order versions.
	if Version100 != 0x010000 || Version110 != 0x010100 || Version130 != 0x010300 || Version150 != 0x010500 {
		t.Error("version values differ from guacd's")
	}
	if !(Version100 < Version110 && Version110 < Version130 && Version130 < Version150) || VersionLatest != Version150 {
		t.Error("versions do not order")
	}
	if a := testing.AllocsPerRun(100, func() { ParseVersion([]byte(Version1_5_0)) }); a != 0 {
		t.Errorf("ParseVersion allocates %v", a)
	}
}
