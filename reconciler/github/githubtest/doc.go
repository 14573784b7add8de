// Package githubtest is an in-process GitHub REST API for the report stage's
// tests. It serves the commit status, issue comment and authenticated-user (GET /user) endpoints
// gitplane uses, with GitHub's status codes, payloads (comment authors as
// user.login) and Link-header pagination. It stores what it is sent and
// records every call in order.
package githubtest
