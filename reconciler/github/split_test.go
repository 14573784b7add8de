package github

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkParts asserts the invariants of every split: parts fit, carry
// numbered headers, keep fences and <details> balanced, and contain every
// original line in order.
func checkParts(t *testing.T, body string, limit int, parts []string) {
	t.Helper()
	for i, p := range parts {
		if len(p) > limit {
			t.Errorf("part %d has %d bytes, over the limit %d", i+1, len(p), limit)
		}
		if len(parts) > 1 && !strings.HasPrefix(p, fmt.Sprintf("**(part %d/%d)**\n\n", i+1, len(parts))) {
			t.Errorf("part %d lacks its header: %.40q", i+1, p)
		}
		if st := blockStates(splitLines(p, len(p)+1)); len(st) > 0 && len(st[len(st)-1]) > 0 && i < len(parts)-1 {
			t.Errorf("part %d ends with open blocks %+v", i+1, st[len(st)-1])
		}
	}
	all := splitLines(strings.Join(parts, ""), limit)
	j := 0
	for _, line := range splitLines(body, max((limit-headerRoom)/4, 1)) {
		for j < len(all) && all[j] != line && all[j] != line+"\n" {
			j++
		}
		if j == len(all) {
			t.Fatalf("line %.60q is missing or out of order in the parts", line)
		}
		j++
	}
}

func fence(lang string, lines int) string {
	var b strings.Builder
	b.WriteString("```" + lang + "\n")
	for i := range lines {
		fmt.Fprintf(&b, "+ line %04d of %s\n", i, lang)
	}
	b.WriteString("```\n")
	return b.String()
}

func details(summary, inner string) string {
	return "<details><summary>" + summary + "</summary>\n\n" + inner + "</details>\n"
}

func TestSplitMarkdown(t *testing.T) {
	const limit = 1000
	for _, tc := range []struct {
		name  string
		body  string
		parts int
		check func(t *testing.T, parts []string)
	}{
		{name: "short body is one part, unchanged", body: "## Preview\n\nall good\n", parts: 1,
			check: func(t *testing.T, p []string) {
				if p[0] != "## Preview\n\nall good\n" {
					t.Errorf("changed: %q", p[0])
				}
			}},
		{name: "paragraphs split at line ends", body: strings.Repeat("some text that fills a line\n", 100), parts: 3},
		{name: "a block that fits moves whole to the next part",
			body: strings.Repeat("intro line of prose here\n", 30) + details("prod", fence("diff", 12)), parts: 2,
			check: func(t *testing.T, p []string) {
				if strings.Contains(p[0], "<details>") || strings.Count(p[1], "<details>") != 1 {
					t.Errorf("details split although it fits in a part:\n%s\n----\n%s", p[0], p[1])
				}
			}},
		{name: "an oversized fence is closed and reopened with its language", body: fence("yaml", 120), parts: 3,
			check: func(t *testing.T, p []string) {
				for i, part := range p {
					if !strings.Contains(part, "```yaml\n") || !strings.HasSuffix(part, "```\n") {
						t.Errorf("part %d is not a complete yaml fence:\n%s", i+1, part)
					}
				}
			}},
		{name: "nested details and fence close in reverse order", body: details("prod diff", fence("diff", 100)), parts: 3,
			check: func(t *testing.T, p []string) {
				if !strings.HasSuffix(p[0], "```\n</details>\n") {
					t.Errorf("part 1 ends %q", p[0][len(p[0])-30:])
				}
				if !strings.HasPrefix(p[1], "**(part 2/3)**\n\n<details><summary>prod diff</summary>\n\n```diff\n") {
					t.Errorf("part 2 starts %q", p[1][:80])
				}
			}},
		{name: "details tags inside a fence are text", body: fence("html", 10) + strings.Repeat("x\n", 5), parts: 1},
		{name: "a very long line is cut", body: strings.Repeat("é", 3000) + "\n", parts: 8},
		{name: "tilde fences and summary on its own line",
			body: "<details>\n<summary>s</summary>\n\n~~~~\n" + strings.Repeat("~~~ not a close\n", 150) + "~~~~\n</details>\n", parts: 3,
			check: func(t *testing.T, p []string) {
				if !strings.Contains(p[1], "<details>\n<summary>s</summary>\n\n~~~~\n") {
					t.Errorf("part 2 does not reopen details with its summary and the ~~~~ fence: %.80q", p[1])
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := SplitMarkdown(tc.body, limit)
			if len(parts) != tc.parts {
				t.Fatalf("%d parts, want %d", len(parts), tc.parts)
			}
			checkParts(t, tc.body, limit, parts)
			if tc.check != nil {
				tc.check(t, parts)
			}
		})
	}
}

// TestSplitMarkdownRandom checks the invariants on generated documents.
func TestSplitMarkdownRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		var b strings.Builder
		for range rng.IntN(40) {
			switch rng.IntN(4) {
			case 0:
				b.WriteString(fence("diff", rng.IntN(60)))
			case 1:
				b.WriteString(details(fmt.Sprint("obj ", i), fence("yaml", rng.IntN(60))))
			default:
				b.WriteString(strings.Repeat("w", rng.IntN(300)) + "\n")
			}
		}
		limit := 400 + rng.IntN(3000)
		checkParts(t, b.String(), limit, SplitMarkdown(b.String(), limit))
	}
}

// TestSplitMarkdownGitHubLimit: a real-sized preview fits GitHub's limit
// with the marker line added.
func TestSplitMarkdownGitHubLimit(t *testing.T) {
	var b strings.Builder
	for i := range 40 {
		b.WriteString(details(fmt.Sprint("Deployment model-", i), fence("diff", 200)))
	}
	parts := SplitMarkdown(b.String(), PartLimit("prod"))
	if len(parts) < 3 {
		t.Fatalf("%d parts for %d bytes", len(parts), b.Len())
	}
	for i, p := range parts {
		if n := len(MarkerLine("prod", i+1) + "\n" + p); n > MaxCommentChars {
			t.Errorf("part %d with its marker has %d bytes", i+1, n)
		}
	}
}
