package webhook

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v62/github"
)

var secret = []byte("webhook-secret")

// recorder is a Receiver that keeps what it got.
type recorder struct {
	mu     sync.Mutex
	pushes []PushEvent
	prs    []PREvent
}

func (r *recorder) Push(_ context.Context, ev PushEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pushes = append(r.pushes, ev)
}

func (r *recorder) PullRequest(_ context.Context, ev PREvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prs = append(r.prs, ev)
}

func newHandler(t *testing.T, opts Options) (*Handler, *recorder) {
	t.Helper()
	rec := &recorder{}
	opts.Receiver = rec
	if opts.Secret == nil {
		opts.Secret = secret
	}
	if opts.Repository == "" {
		opts.Repository = "acme/specs"
	}
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	h, err := New(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return h, rec
}

func sign(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

type delivery struct {
	method, event, id, contentType string
	body                           []byte
	sig                            string // "" signs with secret; "-" sends none
	sha1                           bool   // sign with the legacy SHA-1 header only
}

func (d delivery) request() *http.Request {
	method := d.method
	if method == "" {
		method = http.MethodPost
	}
	r := httptest.NewRequest(method, Path, bytes.NewReader(d.body))
	r.Header.Set("Content-Type", "application/json")
	if d.contentType != "" {
		r.Header.Set("Content-Type", d.contentType)
	}
	r.Header.Set(github.EventTypeHeader, d.event)
	r.Header.Set(github.DeliveryIDHeader, d.id)
	switch {
	case d.sha1:
		m := hmac.New(sha1.New, secret)
		m.Write(d.body)
		r.Header.Set(github.SHA1SignatureHeader, "sha1="+hex.EncodeToString(m.Sum(nil)))
	case d.sig == "":
		r.Header.Set(github.SHA256SignatureHeader, sign(secret, d.body))
	case d.sig != "-":
		r.Header.Set(github.SHA256SignatureHeader, d.sig)
	}
	return r
}

func send(h http.Handler, d delivery) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, d.request())
	return w
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var (
	repo     = &github.Repository{FullName: github.String("acme/specs")}
	pushMain = mustJSON(&github.PushEvent{Ref: github.String("refs/heads/main"), Before: github.String("aaa"), After: github.String("bbb"), Repo: &github.PushEventRepository{FullName: github.String("acme/specs")}})
	pushTag  = mustJSON(&github.PushEvent{Ref: github.String("refs/tags/v1"), After: github.String("ccc")})
	pushDel  = mustJSON(&github.PushEvent{Ref: github.String("refs/heads/old"), Deleted: github.Bool(true)})
	// pushOther is a push to another repository, as an organization hook
	// or a GitHub App installed on many repositories delivers it.
	pushOther = mustJSON(&github.PushEvent{Ref: github.String("refs/heads/main"), After: github.String("eee"), Repo: &github.PushEventRepository{FullName: github.String("acme/other")}})
	pushCase  = mustJSON(&github.PushEvent{Ref: github.String("refs/heads/main"), Before: github.String("aaa"), After: github.String("bbb"), Repo: &github.PushEventRepository{FullName: github.String("Acme/Specs")}})
)

func prPayload(action string, merged bool) []byte {
	return prPayloadOf(repo, action, merged)
}

func prPayloadOf(repo *github.Repository, action string, merged bool) []byte {
	return mustJSON(&github.PullRequestEvent{Action: github.String(action), Repo: repo, PullRequest: &github.PullRequest{
		Number: github.Int(42), Merged: github.Bool(merged),
		Head: &github.PullRequestBranch{SHA: github.String("ddd"), Ref: github.String("feature")},
		Base: &github.PullRequestBranch{Ref: github.String("main")},
	}})
}

func TestHandler(t *testing.T) {
	form := []byte("payload=" + url.QueryEscape(string(pushMain)))
	for _, tc := range []struct {
		name   string
		d      delivery
		code   int
		pushes []PushEvent
		prs    []PREvent
	}{
		{name: "push to a branch", d: delivery{event: "push", id: "d1", body: pushMain}, code: 202,
			pushes: []PushEvent{{Repo: "acme/specs", Branch: "main", SHA: "bbb", Before: "aaa", DeliveryID: "d1"}}},
		{name: "form-encoded push", d: delivery{event: "push", id: "d1", body: form, contentType: "application/x-www-form-urlencoded"}, code: 202,
			pushes: []PushEvent{{Repo: "acme/specs", Branch: "main", SHA: "bbb", Before: "aaa", DeliveryID: "d1"}}},
		{name: "bad signature", d: delivery{event: "push", id: "d1", body: pushMain, sig: sign([]byte("other"), pushMain)}, code: 401},
		{name: "malformed signature", d: delivery{event: "push", id: "d1", body: pushMain, sig: "sha256=zz"}, code: 401},
		{name: "missing signature", d: delivery{event: "push", id: "d1", body: pushMain, sig: "-"}, code: 401},
		{name: "only the SHA-1 signature", d: delivery{event: "push", id: "d1", body: pushMain, sha1: true}, code: 401},
		{name: "unparsable body, bad signature", d: delivery{event: "push", id: "d1", body: []byte("{"), sig: "sha256=00"}, code: 401},
		{name: "unparsable body, good signature", d: delivery{event: "push", id: "d1", body: []byte("{")}, code: 400},
		{name: "unsupported content type", d: delivery{event: "push", id: "d1", body: pushMain, contentType: "text/plain"}, code: 415},
		{name: "GET", d: delivery{method: "GET", event: "push", id: "d1", body: pushMain}, code: 405},
		{name: "ping", d: delivery{event: "ping", id: "d1", body: []byte(`{"zen":"hi"}`)}, code: 200},
		{name: "ping with bad signature", d: delivery{event: "ping", id: "d1", body: []byte(`{}`), sig: "sha256=00"}, code: 401},
		{name: "tag push ignored", d: delivery{event: "push", id: "d1", body: pushTag}, code: 200},
		{name: "branch deletion ignored", d: delivery{event: "push", id: "d1", body: pushDel}, code: 200},
		{name: "other event ignored", d: delivery{event: "issues", id: "d1", body: []byte(`{}`)}, code: 200},
		{name: "pull request opened", d: delivery{event: "pull_request", id: "d2", body: prPayload("opened", false)}, code: 202,
			prs: []PREvent{{Repo: "acme/specs", Number: 42, Action: "opened", HeadSHA: "ddd", HeadRef: "feature", BaseRef: "main", DeliveryID: "d2"}}},
		{name: "pull request merged", d: delivery{event: "pull_request", id: "d2", body: prPayload("closed", true)}, code: 202,
			prs: []PREvent{{Repo: "acme/specs", Number: 42, Action: "closed", Merged: true, HeadSHA: "ddd", HeadRef: "feature", BaseRef: "main", DeliveryID: "d2"}}},
		{name: "pull request labeled ignored", d: delivery{event: "pull_request", id: "d2", body: prPayload("labeled", false)}, code: 200},
		{name: "push to another repository ignored", d: delivery{event: "push", id: "d3", body: pushOther}, code: 200},
		{name: "pull request of another repository ignored", d: delivery{event: "pull_request", id: "d3",
			body: prPayloadOf(&github.Repository{FullName: github.String("evil/specs")}, "opened", false)}, code: 200},
		{name: "pull request naming no repository ignored", d: delivery{event: "pull_request", id: "d3", body: prPayloadOf(nil, "opened", false)}, code: 200},
		{name: "repository names compare without case", d: delivery{event: "push", id: "d4", body: pushCase}, code: 202,
			pushes: []PushEvent{{Repo: "Acme/Specs", Branch: "main", SHA: "bbb", Before: "aaa", DeliveryID: "d4"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newHandler(t, Options{})
			w := send(h, tc.d)
			if w.Code != tc.code {
				t.Fatalf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.code)
			}
			h.Wait()
			if !reflect.DeepEqual(rec.pushes, tc.pushes) || !reflect.DeepEqual(rec.prs, tc.prs) {
				t.Fatalf("receiver got pushes %+v, prs %+v; want %+v, %+v", rec.pushes, rec.prs, tc.pushes, tc.prs)
			}
		})
	}
}

func TestDuplicateDeliveryIgnored(t *testing.T) {
	h, rec := newHandler(t, Options{DedupSize: 2})
	for i, want := range []struct {
		id   string
		code int
	}{{"a", 202}, {"a", 200}, {"b", 202}, {"c", 202}, {"a", 202}, {"c", 200}} {
		if w := send(h, delivery{event: "push", id: want.id, body: pushMain}); w.Code != want.code {
			t.Fatalf("delivery %d (%s): status %d, want %d", i, want.id, w.Code, want.code)
		}
	}
	h.Wait()
	if len(rec.pushes) != 4 {
		t.Fatalf("receiver got %d pushes, want 4 (a, b, c, a again after it was forgotten)", len(rec.pushes))
	}
}

func TestOversizedBodyRejected(t *testing.T) {
	for _, tc := range []struct {
		name  string
		limit int64
		size  int
		code  int
	}{
		{"default cap, 26 MiB", 0, 26 << 20, 413},
		{"small cap, just over", 1024, 1025, 413},
		{"small cap, at the limit", 1024, 1024, 400}, // read fully; junk JSON
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, rec := newHandler(t, Options{MaxBodyBytes: tc.limit})
			body := bytes.Repeat([]byte("x"), tc.size)
			if w := send(h, delivery{event: "push", id: "big", body: body}); w.Code != tc.code {
				t.Fatalf("status %d, want %d", w.Code, tc.code)
			}
			h.Wait()
			if len(rec.pushes) != 0 {
				t.Fatal("receiver was called")
			}
		})
	}
}

func TestNewRequiresSecret(t *testing.T) {
	if _, err := New(t.Context(), Options{Receiver: &recorder{}, Repository: "acme/specs"}); err == nil {
		t.Fatal("New without a secret succeeded")
	}
}

func TestNewRequiresRepository(t *testing.T) {
	for _, name := range []string{"", "acme", "/specs", "acme/", "file:///srv/git/specs", "acme/specs/extra"} {
		if _, err := New(t.Context(), Options{Secret: secret, Receiver: &recorder{}, Repository: name}); err == nil {
			t.Errorf("New with repository %q succeeded", name)
		}
	}
}

// TestStalledBodyTimesOut: a sender that declares a large Content-Length
// and stops sending does not hold the handler: it answers 408 once the
// read timeout has passed, and the Receiver gets nothing.
func TestStalledBodyTimesOut(t *testing.T) {
	h, rec := newHandler(t, Options{ReadTimeout: 200 * time.Millisecond})
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head := "POST " + Path + " HTTP/1.1\r\nHost: gitplane\r\nContent-Type: application/json\r\n" +
		"X-GitHub-Event: push\r\nX-Hub-Signature-256: " + sign(secret, pushMain) + "\r\n" +
		"Content-Length: 1048576\r\n\r\n{\"ref\":"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	// Without a bound the handler waits for the rest forever; the test's
	// own deadline turns that into a failure instead of a hang.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled delivery: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	h.Wait()
	if len(rec.pushes) != 0 {
		t.Fatal("receiver was called")
	}
}

// TestHandlerAfterShutdown: once its context ends the handler refuses new
// events (GitHub can redeliver them) and Wait returns.
func TestHandlerAfterShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	rec := &recorder{}
	h, err := New(ctx, Options{Secret: secret, Repository: "acme/specs", Receiver: rec, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for i := range 100 { // until the dispatcher has seen the cancellation
		if w := send(h, delivery{event: "push", id: fmt.Sprint(i), body: pushMain}); w.Code == http.StatusServiceUnavailable {
			h.Wait()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the handler still accepts events after its context ended")
}

// TestEventsInArrivalOrder: the Receiver sees pushes in the order GitHub
// delivered them, so a Coalescer behind it ends at the newest commit.
func TestEventsInArrivalOrder(t *testing.T) {
	h, rec := newHandler(t, Options{})
	for i := range 100 {
		body := mustJSON(&github.PushEvent{Ref: github.String("refs/heads/main"), After: github.String(fmt.Sprint(i)), Repo: &github.PushEventRepository{FullName: github.String("acme/specs")}})
		if w := send(h, delivery{event: "push", id: fmt.Sprint("d", i), body: body}); w.Code != 202 {
			t.Fatalf("push %d: status %d", i, w.Code)
		}
	}
	h.Wait()
	for i, p := range rec.pushes {
		if p.SHA != fmt.Sprint(i) {
			t.Fatalf("push %d carried %s: out of order", i, p.SHA)
		}
	}
	if len(rec.pushes) != 100 {
		t.Fatalf("got %d pushes, want 100", len(rec.pushes))
	}
}
