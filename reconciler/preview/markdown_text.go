package preview

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/reconciler/aws/pricing"
)

// writeCost writes the cost section: the pricing package's before → after
// table when something changes, one line otherwise.
func writeCost(b *strings.Builder, p *EnvPreview) {
	c := p.Cost
	if c == nil || len(c.Models) == 0 {
		return
	}
	if c.Before == c.After && !slices.ContainsFunc(c.Models, pricing.ModelChange.Changed) {
		fmt.Fprintf(b, "**Estimated GPU cost**: unchanged, %s per month (min–max replicas).\n\n", money(c.After))
		return
	}
	b.WriteString(c.Markdown(p.CostSource))
	b.WriteString("\n")
}

// costCell is the summary table's cost: "$1,469 → $2,203" or one value.
func costCell(p *EnvPreview) string {
	c := p.Cost
	if c == nil || len(c.Models) == 0 {
		return "—"
	}
	if money(c.Before) == money(c.After) {
		return money(c.After)
	}
	return money(c.Before) + " → " + money(c.After)
}

// money is a monthly cost at min–max replicas: "$734" or "$734–$1,469".
func money(c pricing.Cost) string {
	if math.Round(c.MonthlyMin) == math.Round(c.MonthlyMax) {
		return usd(c.MonthlyMax)
	}
	return usd(c.MonthlyMin) + "–" + usd(c.MonthlyMax)
}

func usd(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return "$" + s
}

// code is an inline code span that survives backticks in s.
func code(s string) string {
	if s == "" {
		return "` `"
	}
	ticks := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return ticks + " " + s + " " + ticks
	}
	return ticks + s + ticks
}

func codes(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = code(s)
	}
	return out
}

// fenced is a fenced code block longer than any backtick run in s.
func fenced(lang, s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + lang + "\n" + strings.TrimSuffix(s, "\n") + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	best, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			best = max(best, n)
		} else {
			n = 0
		}
	}
	return best
}

var markdownSpecial = regexp.MustCompile("[\\\\`*_<>\\[\\]|#]")

// escape makes text safe in a markdown paragraph, list item or table cell.
func escape(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return markdownSpecial.ReplaceAllStringFunc(s, func(m string) string { return `\` + m })
}

// anchor is the id GitHub gives a heading.
func anchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
		}
	}
	return b.String()
}

func short(sha string) string {
	if len(sha) > 12 {
		return sha[:12]
	}
	return sha
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
