package preview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/reconciler/github"
)

// listLevels are how many items of each list (changed specs, errors,
// risks, IRSA findings) a capped document tries, longest first.
var listLevels = []int{-1, 50, 10, 0}

// limits says what a document leaves out.
type limits struct {
	lists int             // items listed per list; -1: all
	diffs map[[2]int]bool // (preview, change) diffs shown; nil: all
}

func (l limits) showsDiff(env, change int) bool {
	return l.diffs == nil || l.diffs[[2]int{env, change}]
}

// mdWriter writes a document within limits.
type mdWriter struct {
	strings.Builder
	lim  limits
	more string
	env  int // index of the preview being written
}

// listed is how many of n items are listed.
func (b *mdWriter) listed(n int) int {
	if b.lim.lists < 0 {
		return n
	}
	return min(n, b.lim.lists)
}

// notListed notes the n items of a list left out.
func (b *mdWriter) notListed(n int, what string) {
	if n > 0 {
		fmt.Fprintf(b, "- _… and %d more %s not listed: this comment is capped%s._\n", n, what, b.moreText())
	}
}

func (b *mdWriter) moreText() string {
	if b.more == "" {
		return ""
	}
	return "; " + b.more
}

// writeAWSAndCost writes the AWS report (or the cost); capped, the IRSA
// findings are shortened and the cost is one line.
func (b *mdWriter) writeAWSAndCost(p *EnvPreview) {
	if b.lim.lists < 0 {
		if p.AWS != nil {
			b.WriteString(p.AWS.Markdown())
			b.WriteString("\n")
		} else {
			writeCost(&b.Builder, p)
		}
		return
	}
	if p.AWS != nil {
		r := *p.AWS
		shown := b.listed(len(r.Findings))
		if shown < len(r.Findings) {
			r.Checked = 0 // no "all ServiceAccounts pass" line for findings left out
		}
		r.Findings, r.Cost, r.Catalog = r.Findings[:shown], nil, nil
		b.WriteString(r.Markdown())
		b.notListed(len(p.AWS.Findings)-shown, "IRSA finding(s)")
		b.WriteString("\n")
	}
	if c := p.Cost; c != nil && len(c.Models) > 0 {
		fmt.Fprintf(b, "**Estimated GPU cost**: %s per month (min–max replicas, %d Model(s); the table is not shown: this comment is capped).\n\n",
			costCell(p), len(c.Models))
	}
}

// capped writes the document within opts.MaxBytes: with the longest lists
// that leave room for the summary, and as many diffs as then fit, the
// largest first. Should no level fit, the shortest is cut at MaxBytes.
func capped(previews []*EnvPreview, opts MarkdownOptions) string {
	var doc string
	for _, lists := range listLevels {
		skeleton := document(previews, opts, limits{lists: lists, diffs: map[[2]int]bool{}})
		if len(skeleton) > opts.MaxBytes {
			doc = skeleton
			continue
		}
		shown := pickDiffs(previews, opts.MaxBytes-len(skeleton))
		return document(previews, opts, limits{lists: lists, diffs: shown})
	}
	note := fmt.Sprintf("\n\n_The rest of this preview is not shown: it is over the comment's %d bytes%s._\n", opts.MaxBytes, (&mdWriter{more: opts.More}).moreText())
	cut, _ := github.TruncateMarkdown(doc, opts.MaxBytes-len(note))
	return cut + note
}

// pickDiffs chooses the diffs to show in room bytes: the largest first,
// each that still fits.
func pickDiffs(previews []*EnvPreview, room int) map[[2]int]bool {
	type diff struct {
		at   [2]int
		size int
	}
	var all []diff
	for i, p := range previews {
		if p.Plan == nil {
			continue
		}
		for j, c := range p.Plan.Changes {
			if hasDiff(c) {
				all = append(all, diff{[2]int{i, j}, len(diffBlock(c))})
			}
		}
	}
	slices.SortStableFunc(all, func(a, b diff) int { return cmp.Compare(b.size, a.size) })
	shown := map[[2]int]bool{}
	for _, d := range all {
		if d.size <= room {
			shown[d.at] = true
			room -= d.size
		}
	}
	return shown
}
