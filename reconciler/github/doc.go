// Package github is the loop's report stage: results posted to GitHub.
// With go-github it writes commit statuses on the commits being synced or
// previewed, and one upserted preview comment per pull request, split into
// numbered parts when it outgrows GitHub's comment limit.
package github
