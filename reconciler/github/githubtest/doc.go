// Package githubtest is an in-process GitHub REST API for tests: the commit
// status and issue comment endpoints gitplane uses, with GitHub's status
// codes, payloads and Link-header pagination. It stores what it is sent and
// records every call in order.
package githubtest
