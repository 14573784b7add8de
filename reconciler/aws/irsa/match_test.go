package irsa

import "testing"

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"system:serviceaccount:models:*", "system:serviceaccount:models:llama", true},
		{"system:serviceaccount:models:*", "system:serviceaccount:other:llama", false},
		{"system:serviceaccount:*:llama", "system:serviceaccount:models:llama", true},
		{"system:serviceaccount:models:llam?", "system:serviceaccount:models:llama", true},
		{"system:serviceaccount:models:llam?", "system:serviceaccount:models:llam", false},
		{"*", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"exact", "exact", true},
		{"exact", "exactly", false},
	}
	for _, tc := range tests {
		if got := likeMatch(tc.pattern, tc.s); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}
