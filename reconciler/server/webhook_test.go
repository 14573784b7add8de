package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestWebhookInputBounded: what anyone reaching the port sends does not
// create metric series (the event header takes a fixed set of values), a
// delivery for another repository is ignored, and a body that never
// arrives does not hold a handler.
func TestWebhookInputBounded(t *testing.T) {
	g := newGitRepo(t)
	l := startLoop(t, g, loopOptions{poll: "off", webhook: true})
	head := g.git(g.work, "rev-parse", "HEAD")
	l.waitStatus(head, 60*time.Second)

	for i := range 300 {
		if code := l.deliver(fmt.Sprintf("event-%d", i), fmt.Sprintf("d-%d", i), pushPayload(head), ""); code != http.StatusUnauthorized {
			t.Fatalf("unsigned delivery answered %d, want 401", code)
		}
	}
	other := pushPayload(head)
	other["repository"] = map[string]any{"full_name": "acme/other"}
	if code := l.deliver("push", "d-other", other, secret); code != http.StatusOK {
		t.Errorf("a push to another repository answered %d, want 200 (ignored)", code)
	}

	series := 0
	for _, line := range strings.Split(l.metrics(), "\n") {
		if strings.HasPrefix(line, "gitplane_webhook_deliveries_total{") {
			series++
			if strings.Contains(line, "event-") {
				t.Errorf("an unauthenticated header became a label value: %s", line)
			}
		}
	}
	if series == 0 || series > 3 {
		t.Errorf("%d gitplane_webhook_deliveries_total series after 300 forged event names, want 1 to 3", series)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(l.http.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, _ = io.WriteString(conn, "POST /webhooks/github HTTP/1.1\r\nHost: gitplane\r\nContent-Type: application/json\r\n"+
		"X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: 1048576\r\n\r\n{")
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a delivery whose body stalls: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("a stalled delivery answered %d, want 408", resp.StatusCode)
	}
}

// metrics returns the loop's /metrics page.
func (l *loop) metrics() string {
	l.t.Helper()
	resp, err := http.Get(l.http.URL + "/metrics")
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		l.t.Fatal(err)
	}
	return string(body)
}
