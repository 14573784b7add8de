// Package source is the loop's first stage, Git: a local bare clone of the
// specs repository kept with go-git. It fetches branches and pull-request
// heads incrementally, resolves refs to commits and exposes a commit's tree
// as a read-only io/fs.FS. OpenLocal reads an existing repository (gitplane
// preview) the same way.
package source
