package preview

import (
	"fmt"
	"html"
	"strings"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// MarkdownOptions says how to write the preview document.
type MarkdownOptions struct {
	// Title is the document's heading; default "gitplane preview".
	Title string
	// Footer is appended at the end (e.g. "Updated for abc1234 at ...").
	Footer string
	// MaxBytes caps the document's size (e.g. github.PartLimit: one
	// comment); 0: no cap. See Markdown for what goes first.
	MaxBytes int
	// More says where to see what the cap leaves out, as markdown after
	// "not shown: " (e.g. a link to serve's /status page and the
	// `gitplane preview` command line).
	More string
}

// Markdown writes one document for all Environments of a change: a summary
// table, then per Environment its notes, validation and server errors, spec
// summaries, risks, cost and the diffs in collapsible blocks. It is meant
// for a GitHub comment. Over MaxBytes the summary table, notes and footer
// stay; the diffs are kept largest first while they fit (shown in plan
// order), then the lists of specs, errors and risks are shortened; each
// Environment says how much it does not show and where to see it (More).
// Should even that not fit, the document is cut at MaxBytes.
func Markdown(previews []*EnvPreview, opts MarkdownOptions) string {
	full := document(previews, opts, limits{lists: -1})
	if opts.MaxBytes <= 0 || len(full) <= opts.MaxBytes {
		return full
	}
	return capped(previews, opts)
}

// document writes the whole document within lim.
func document(previews []*EnvPreview, opts MarkdownOptions, lim limits) string {
	b := &mdWriter{lim: lim, more: opts.More}
	fmt.Fprintf(b, "## %s\n\n", cmpOr(opts.Title, "gitplane preview"))
	writeHeader(&b.Builder, previews)
	if len(previews) == 0 {
		b.WriteString("This change touches no Environment.\n")
	} else {
		writeSummaryTable(&b.Builder, previews)
	}
	for i, p := range previews {
		b.env = i
		b.writeEnvironment(p)
	}
	if opts.Footer != "" {
		fmt.Fprintf(b, "\n---\n%s\n", opts.Footer)
	}
	return b.String()
}

// writeHeader names the head commit and the mode.
func writeHeader(b *strings.Builder, previews []*EnvPreview) {
	var parts []string
	if len(previews) > 0 && previews[0].HeadSHA != "" {
		parts = append(parts, "Head "+code(short(previews[0].HeadSHA)))
	}
	offline := len(previews) > 0
	for _, p := range previews {
		offline = offline && p.Offline
	}
	if offline {
		parts = append(parts, "offline: the head's render compared with the base's, no cluster")
	} else if len(previews) > 0 {
		parts = append(parts, "planned against the live cluster (server-side dry-run, nothing written)")
	}
	if len(parts) > 0 {
		b.WriteString(strings.Join(parts, " · ") + "\n\n")
	}
}

func writeSummaryTable(b *strings.Builder, previews []*EnvPreview) {
	b.WriteString("| Environment | Status | Create | Update | Delete | Unchanged | GPU $/month |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|---|\n")
	for _, p := range previews {
		create, update, del, unchanged := "—", "—", "—", "—"
		if p.Plan != nil {
			s := p.Plan.Summary()
			create, update, del, unchanged = fmt.Sprint(s.Create), fmt.Sprint(s.Configure), fmt.Sprint(s.Delete), fmt.Sprint(s.Unchanged)
			if s.TakeOver > 0 {
				create += fmt.Sprintf(" (+%d taken over)", s.TakeOver)
			}
			if s.Blocked > 0 {
				del += fmt.Sprintf(" (+%d blocked)", s.Blocked)
			}
		}
		fmt.Fprintf(b, "| [%s](#%s) | %s | %s | %s | %s | %s | %s |\n", p.Env, anchor(p.Env), status(p), create, update, del, unchanged, costCell(p))
	}
	b.WriteString("\n")
}

// status is one cell: what stops the change, what to look at, or ✅.
func status(p *EnvPreview) string {
	switch {
	case p.Refused != "":
		return "❌ not previewed"
	case len(p.ValidationErrors) > 0:
		return fmt.Sprintf("❌ %d validation error(s)", len(p.ValidationErrors))
	case p.RenderError != "":
		return "❌ render failed"
	case len(p.ServerErrors) > 0:
		return fmt.Sprintf("❌ %d rejected by the API server", len(p.ServerErrors))
	case p.AWS != nil && p.AWS.HasErrors():
		return "⚠️ IRSA trust-policy problems"
	case len(p.Risks) > 0:
		return fmt.Sprintf("⚠️ %d risk(s)", len(p.Risks))
	case p.Plan == nil:
		return "ℹ️ not planned"
	case !p.Plan.HasChanges():
		return "✅ no changes"
	}
	return "✅ ready"
}

func (b *mdWriter) writeEnvironment(p *EnvPreview) {
	fmt.Fprintf(b, "### %s\n\n", p.Env)
	if p.Refused != "" {
		fmt.Fprintf(b, "**❌ Not previewed**: %s\n\n", escape(p.Refused))
	}
	for _, n := range p.Notes {
		fmt.Fprintf(b, "> **Note:** %s\n\n", escape(n))
	}
	b.writeValidationErrors(p)
	if p.RenderError != "" {
		fmt.Fprintf(b, "**❌ The head could not be rendered**\n\n%s\n", fenced("text", p.RenderError))
	}
	if len(p.ServerErrors) > 0 {
		b.WriteString("**❌ Rejected by the API server (dry-run)**\n\n")
		shown := b.listed(len(p.ServerErrors))
		for _, e := range p.ServerErrors[:shown] {
			fmt.Fprintf(b, "- %s\n", code(strings.ReplaceAll(e, "\n", " ")))
		}
		b.notListed(len(p.ServerErrors)-shown, "error(s)")
		b.WriteString("\n")
	}
	if p.Plan != nil && !p.Plan.HasChanges() {
		b.WriteString("No object changes.\n\n")
	}
	b.writeSpecs(p)
	b.writeRisks(p.Risks)
	b.writeAWSAndCost(p)
	if p.Plan != nil {
		b.writeDiffs(p.Plan)
	}
}

func (b *mdWriter) writeValidationErrors(p *EnvPreview) {
	if len(p.ValidationErrors) == 0 {
		return
	}
	fmt.Fprintf(b, "**❌ %d validation error(s)**: the head does not validate, so nothing was rendered or planned.\n\n", len(p.ValidationErrors))
	shown := b.listed(len(p.ValidationErrors))
	for _, e := range p.ValidationErrors[:shown] {
		loc := code(fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col))
		if p.FileURL != nil {
			loc = fmt.Sprintf("[%s](%s)", loc, p.FileURL(e.File, e.Line))
		}
		msg := escape(e.Message)
		if e.Path != "" {
			msg = code(e.Path) + ": " + msg
		}
		fmt.Fprintf(b, "- %s %s\n", loc, msg)
	}
	b.notListed(len(p.ValidationErrors)-shown, "error(s)")
	b.WriteString("\n")
}

// writeSpecs lists the changed specs, one bullet each, and the unchanged
// ones on one line.
func (b *mdWriter) writeSpecs(p *EnvPreview) {
	if len(p.Specs) == 0 {
		return
	}
	b.WriteString("**Specs**\n\n")
	var unchanged []string
	changed := 0
	for _, s := range p.Specs {
		if s.Action != SpecUnchanged {
			changed++
		}
	}
	room, listed := b.listed(changed), 0
	for _, s := range p.Specs {
		if s.Action == SpecUnchanged {
			unchanged = append(unchanged, code(s.Key()))
			continue
		}
		if listed++; listed > room {
			continue
		}
		fmt.Fprintf(b, "- %s **%s** %s (%s)", actionIcon(s.Action), s.Kind, code(specName(s)), s.Action)
		switch {
		case s.Action == SpecRemoved:
			fmt.Fprintf(b, " · was in %s", code(s.File))
		case s.File != "":
			fmt.Fprintf(b, " · %s", fileLink(p, s.File, s.Line))
		}
		b.WriteString("\n")
		for _, f := range s.Facts {
			fmt.Fprintf(b, "  - %s\n", factText(f))
		}
		if len(s.Other) > 0 {
			fmt.Fprintf(b, "  - also changed: %s\n", strings.Join(codes(s.Other), ", "))
		}
	}
	b.notListed(changed-room, "changed spec(s)")
	switch {
	case len(unchanged) > 0 && b.lim.lists >= 0:
		fmt.Fprintf(b, "- Unchanged: %d spec(s)\n", len(unchanged))
	case len(unchanged) > 0:
		fmt.Fprintf(b, "- Unchanged: %s\n", strings.Join(unchanged, ", "))
	}
	b.WriteString("\n")
}

func specName(s SpecChange) string {
	if s.Namespace == "" {
		return s.Name
	}
	return s.Namespace + "/" + s.Name
}

// factText shows a changed fact as "**name**: `before` → `after`".
func factText(f Fact) string {
	switch {
	case f.Changed && f.Before != "":
		return fmt.Sprintf("**%s**: %s → %s", escape(f.Name), code(f.Before), code(f.Value))
	case f.Changed:
		return fmt.Sprintf("**%s**: %s", escape(f.Name), code(f.Value))
	}
	return fmt.Sprintf("%s: %s", escape(f.Name), code(f.Value))
}

func actionIcon(a SpecAction) string {
	switch a {
	case SpecAdded:
		return "🆕"
	case SpecRemoved:
		return "🗑️"
	}
	return "✏️"
}

func fileLink(p *EnvPreview, file string, line int) string {
	if p.FileURL == nil {
		return code(file)
	}
	return fmt.Sprintf("[%s](%s)", code(file), p.FileURL(file, line))
}

func (b *mdWriter) writeRisks(risks []Risk) {
	if len(risks) == 0 {
		return
	}
	b.WriteString("**Risks**\n\n")
	shown := b.listed(len(risks))
	for _, r := range risks[:shown] {
		icon := "⚠️"
		if r.Blocked {
			icon = "🛑"
		}
		what := ""
		if r.Ref.Kind != "" {
			what = fmt.Sprintf("%s %s: ", code(r.Ref.String()), r.Action)
		}
		suffix := ""
		if r.Blocked && r.Ref.Kind != "" && !strings.HasPrefix(r.Message, "not carried out") {
			suffix = " (blocked: not carried out)"
		}
		fmt.Fprintf(b, "- %s %s%s%s\n", icon, what, escape(r.Message), suffix)
	}
	b.notListed(len(risks)-shown, "risk(s)")
	b.WriteString("\n")
}

// writeDiffs writes each created, configured or deleted object's diff in a
// collapsible block, those the limits leave out counted in a note.
func (b *mdWriter) writeDiffs(plan *engine.Plan) {
	n, hidden := 0, 0
	for i, c := range plan.Changes {
		if hasDiff(c) {
			n++
			if !b.lim.showsDiff(b.env, i) {
				hidden++
			}
		}
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(b, "**Diffs** (%d object(s))\n\n", n)
	for i, c := range plan.Changes {
		if hasDiff(c) && b.lim.showsDiff(b.env, i) {
			b.WriteString(diffBlock(c))
		}
	}
	if hidden > 0 {
		fmt.Fprintf(b, "_%d more change(s) not shown: this comment is capped%s._\n\n", hidden, b.moreText())
	}
}

func hasDiff(c engine.Change) bool { return c.Diff != "" && c.Action != engine.ActionUnchanged }

// diffBlock is one object's diff as written in the document.
func diffBlock(c engine.Change) string {
	return fmt.Sprintf("<details><summary>%s <code>%s</code> %s</summary>\n\n%s\n</details>\n\n",
		diffIcon(c), html.EscapeString(c.Ref.String()), html.EscapeString(changeNote(c)), fenced("diff", c.Diff))
}

func diffIcon(c engine.Change) string {
	switch {
	case c.Blocked():
		return "🛑"
	case c.Action == engine.ActionCreate:
		return "➕"
	case c.Action == engine.ActionDelete:
		return "➖"
	}
	return "✏️"
}

// changeNote is the action with what qualifies it: "configured (recreate)".
func changeNote(c engine.Change) string {
	var notes []string
	if c.Drift {
		notes = append(notes, "drift")
	}
	if c.Recreate {
		notes = append(notes, "recreate")
	} else if len(c.Immutable) > 0 {
		notes = append(notes, "immutable fields")
	}
	if c.Blocked() {
		notes = append(notes, "blocked")
	}
	if len(notes) == 0 {
		return string(c.Action)
	}
	return string(c.Action) + " (" + strings.Join(notes, ", ") + ")"
}
