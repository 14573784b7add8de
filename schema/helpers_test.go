package schema_test

import (
	"slices"
	"strings"
)

// sorted orders expected errors the way ErrorList.Sort does: by file, then
// by the line:col that follows it.
func sorted(errs []string) []string {
	out := slices.Clone(errs)
	slices.SortStableFunc(out, func(a, b string) int {
		fa, ra, _ := strings.Cut(a, ":")
		fb, rb, _ := strings.Cut(b, ":")
		if c := strings.Compare(fa, fb); c != 0 {
			return c
		}
		return compareLineCol(ra, rb)
	})
	return out
}

func compareLineCol(a, b string) int {
	na, nb := leadingInts(a), leadingInts(b)
	for i := range 2 {
		if na[i] != nb[i] {
			return na[i] - nb[i]
		}
	}
	return strings.Compare(a, b)
}

func leadingInts(s string) [2]int {
	var out [2]int
	for i := range 2 {
		n := 0
		for len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
			n = n*10 + int(s[0]-'0')
			s = s[1:]
		}
		out[i] = n
		s = strings.TrimPrefix(s, ":")
	}
	return out
}
