package irsa

import "strings"

// likeMatch reports whether s matches an IAM StringLike / action pattern:
// * matches any run of characters, ? exactly one.
func likeMatch(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && (pattern[p] == '?' || pattern[p] == s[i]):
			p++
			i++
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// allowsAction reports whether an Action list covers action; action names
// are case-insensitive in IAM.
func allowsAction(actions StringSet, action string) bool {
	for _, a := range actions {
		if likeMatch(strings.ToLower(a), strings.ToLower(action)) {
			return true
		}
	}
	return false
}
