// Package webhook is the loop's trigger: GitHub webhooks, checked. It
// checks each delivery's
// HMAC-SHA256 signature before parsing anything, answers at once and hands
// push and pull_request events to a Receiver in arrival order.
package webhook
