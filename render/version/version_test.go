package version

import "testing"

func TestTag(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	for _, tt := range []struct{ version, tag string }{
		{"dev", "dev"},
		{"v0.3.0", "v0.3.0"},
		{"v0.3.0-4-gabc1234-dirty", "v0.3.0-4-gabc1234-dirty"},
		{"v0.0.0-20260101120000-abcdef123456+dirty", "v0.0.0-20260101120000-abcdef123456-dirty"},
		{"feature/x", "feature-x"},
		{"-x", "v-x"},
		{"", "v"},
	} {
		Version = tt.version
		if got := Tag(); got != tt.tag {
			t.Errorf("Tag() of %q = %q, want %q", tt.version, got, tt.tag)
		}
	}
	Version = string(make([]byte, 300))
	if got := len(Tag()); got != 128 {
		t.Errorf("a 300-byte version gives a %d-character tag, want 128", got)
	}
}
