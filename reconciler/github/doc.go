// Package github posts gitplane's results to GitHub with go-github: commit
// statuses on the commits being synced or previewed, and one upserted
// preview comment per pull request, split into numbered parts when it
// outgrows GitHub's comment limit.
package github
