package engine

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// PrintOptions say how to print a plan.
type PrintOptions struct {
	Color bool // ANSI colours for diffs, as on a terminal
	Diffs bool // print each change's diff
	// Verbose lists unchanged objects too.
	Verbose bool
	// Applied reports a plan that was carried out: "2 created" rather than
	// "2 to create".
	Applied bool
}

const (
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

// Print writes the plan for people: one line per change ("apps/Deployment
// models/llama configured", "ConfigMap ns/x taken over (an object not
// managed by this Environment ...)"), its diff, blocked deletions with the
// reason, warnings, and the summary line.
func (p *Plan) Print(w io.Writer, opts PrintOptions) error {
	var b strings.Builder
	for _, c := range p.Changes {
		if c.Action == ActionUnchanged && !opts.Verbose {
			continue
		}
		b.WriteString(changeLine(c))
		b.WriteByte('\n')
		if opts.Diffs && c.Diff != "" {
			writeDiff(&b, c.Diff, opts.Color)
		}
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	summary := p.Summary().String()
	if opts.Applied {
		summary = p.Summary().Past()
	}
	fmt.Fprintf(&b, "%s: %s\n", p.Environment, summary)
	_, err := io.WriteString(w, b.String())
	return err
}

func changeLine(c Change) string {
	line := fmt.Sprintf("%s %s", c.Ref, c.Action)
	var notes []string
	for _, r := range c.Risks {
		if c.Action == ActionTakeOver && strings.HasPrefix(r, TakeOverRisk) {
			notes = append(notes, strings.TrimPrefix(r, "takes over "))
		}
	}
	if c.Drift {
		notes = append(notes, "drift")
	}
	if len(c.Immutable) > 0 {
		if c.Recreate {
			notes = append(notes, "recreate: immutable "+strings.Join(c.Immutable, ", "))
		} else {
			notes = append(notes, "immutable "+strings.Join(c.Immutable, ", "))
		}
	}
	if c.Blocked != "" {
		notes = append(notes, "blocked: "+c.Blocked)
	}
	if c.Error != "" {
		notes = append(notes, "error: "+c.Error)
	}
	if len(notes) > 0 {
		line += " (" + strings.Join(notes, "; ") + ")"
	}
	return line
}

func writeDiff(b *strings.Builder, diff string, color bool) {
	for line := range strings.SplitSeq(strings.TrimSuffix(diff, "\n"), "\n") {
		switch {
		case !color:
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
		case strings.HasPrefix(line, "+"):
			line = ansiGreen + line + ansiReset
		case strings.HasPrefix(line, "-"):
			line = ansiRed + line + ansiReset
		case strings.HasPrefix(line, "@@"):
			line = ansiCyan + line + ansiReset
		}
		b.WriteString("  ")
		b.WriteString(line)
		b.WriteByte('\n')
	}
}

// jsonPlan is the machine-readable form of a plan.
type jsonPlan struct {
	Environment string   `json:"environment"`
	Summary     Summary  `json:"summary"`
	Changes     []Change `json:"changes"`
	Warnings    []string `json:"warnings,omitempty"`
}

// PrintJSON writes the plan as one JSON document: the summary and every
// change with its action, flags and diff (Secret values redacted).
func (p *Plan) PrintJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonPlan{Environment: p.Environment, Summary: p.Summary(), Changes: p.Changes, Warnings: p.Warnings})
}
