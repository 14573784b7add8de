// Package server is the loop itself, `gitplane serve`. It follows a Git repository
// (polling on a schedule and on GitHub webhooks), syncs every Environment
// whose branch moved — render, plan, apply with prune, wait for health — and
// reports each sync to GitHub as a commit status. It serves /healthz,
// /readyz, /metrics, /status and, when a webhook secret is set,
// /webhooks/github. A Coalescer schedules the syncs and previews: one run
// per Environment or pull request at a time, bursts folded into one more.
package server
