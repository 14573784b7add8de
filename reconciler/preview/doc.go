// Package preview is the loop's pull-request stage: a preview of a change
// before it merges. For each Environment a
// change touches, it renders the head, plans it against the cluster
// (server-side dry-run, nothing written) or, offline, against the base's
// render, and writes one markdown document with a summary table, readable
// per-spec summaries, risk flags, validation and server errors, the GPU cost
// before → after and the diffs in collapsible blocks. Secret values never
// appear in it.
package preview
