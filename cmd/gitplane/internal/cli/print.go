package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gitplane/gitplane/reconciler/engine"
)

// printOptions say how to print a plan.
type printOptions struct {
	color bool // ANSI colours for diffs, as on a terminal
	diffs bool // print each change's diff
	// verbose lists unchanged objects too.
	verbose bool
	// applied reports a plan that was carried out: "2 created" rather than
	// "2 to create".
	applied bool
}

const (
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiReset = "\x1b[0m"
)

// printText writes the plan for people: one line per change
// ("apps/Deployment models/llama configured", "ConfigMap ns/x taken over
// (an object not managed by this Environment ...)"), its diff, blocked
// deletions with the reason and the flag that allows them, warnings, and
// the summary line.
func printText(w io.Writer, p *engine.Plan, opts printOptions) error {
	var b strings.Builder
	for _, c := range p.Changes {
		if c.Action == engine.ActionUnchanged && !opts.verbose {
			continue
		}
		b.WriteString(changeLine(c))
		b.WriteByte('\n')
		if opts.diffs && c.Diff != "" {
			writeDiff(&b, c.Diff, opts.color)
		}
	}
	for _, warn := range planWarnings(p) {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	summary := p.Summary().String()
	if opts.applied {
		summary = p.Summary().Past()
	}
	fmt.Fprintf(&b, "%s: %s\n", p.Environment, summary)
	_, err := io.WriteString(w, b.String())
	return err
}

// planWarnings are the plan's notices that do not stop the sync, worded
// for the command line.
func planWarnings(p *engine.Plan) []string {
	var out []string
	if p.Unpruned > 0 {
		out = append(out, fmt.Sprintf("%d object(s) left Git and are still in the cluster; apply with --prune to delete them", p.Unpruned))
	}
	if g := p.PruneGuard; g != nil {
		out = append(out, "prune blocked: "+blockText(g.Block))
	}
	return out
}

// blockText is a guard's reason with the flag that lifts it.
func blockText(b engine.Block) string {
	switch b.Allow {
	case engine.AllowEmptyRender:
		return b.Reason + " (pass --allow-empty to delete everything gitplane applied)"
	case engine.AllowLargePrune:
		return b.Reason + "; pass --confirm-prune"
	}
	return b.Reason
}

// errorText is a change's error with what would let it through: the flag
// that takes conflicting fields, the annotation that lets an object be
// recreated.
func errorText(c engine.Change) string {
	switch {
	case len(c.Conflicts) > 0:
		return c.Error + "; apply with --force-conflicts to take ownership"
	case len(c.Immutable) > 0 && !c.Recreate:
		return fmt.Sprintf("%s; annotate the spec or its Environment with %s: \"true\" to let gitplane delete and recreate it", c.Error, engine.AnnotationForce)
	}
	return c.Error
}

// cliError words the engine's errors for the command line: each failed
// object with the flag or annotation that would let it through, a cluster
// mismatch with how to point gitplane at the right cluster.
func cliError(err error) error {
	var ae *engine.ApplyError
	if errors.As(err, &ae) {
		msgs := make([]string, len(ae.Failed))
		for i, c := range ae.Failed {
			msgs[i] = errorText(c)
		}
		if len(msgs) == 1 {
			return errors.New(msgs[0])
		}
		return fmt.Errorf("%d objects failed:\n  %s", len(msgs), strings.Join(msgs, "\n  "))
	}
	var cm *engine.ClusterMismatchError
	if errors.As(err, &cm) {
		return fmt.Errorf("%w; point the kubeconfig (or --context) at the Environment's own cluster", err)
	}
	return err
}

func changeLine(c engine.Change) string {
	line := fmt.Sprintf("%s %s", c.Ref, c.Action)
	var notes []string
	for _, r := range c.Risks {
		if c.Action == engine.ActionTakeOver && strings.HasPrefix(r, engine.TakeOverRisk) {
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
	if c.Blocked() {
		notes = append(notes, "blocked: "+blockText(c.Block))
	}
	if c.Error != "" {
		notes = append(notes, "error: "+errorText(c))
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
	Environment string             `json:"environment"`
	Summary     engine.Summary     `json:"summary"`
	Changes     []engine.Change    `json:"changes"`
	PruneGuard  *engine.PruneGuard `json:"pruneGuard,omitempty"`
	Warnings    []string           `json:"warnings,omitempty"`
}

// printJSON writes the plan as one JSON document: the summary and every
// change with its action, flags and diff (Secret values redacted), the
// guard that held the prune back, and the warnings as printText words them.
func printJSON(w io.Writer, p *engine.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonPlan{Environment: p.Environment, Summary: p.Summary(), Changes: p.Changes, PruneGuard: p.PruneGuard, Warnings: planWarnings(p)})
}
