// Package engine is the loop's apply stage: plan, apply, prune, wait.
// It plans an Environment's rendered objects against the cluster (server-side dry-run
// apply, a Plan with an action per object: created, configured, unchanged,
// deleted), applies the plan with server-side apply in dependency order,
// prunes what left Git through the Environment's inventory, and waits for
// health. The policies it honours per object ride on the objects as
// annotations render stamps (gitplane.dev/force, gitplane.dev/prune).
package engine
