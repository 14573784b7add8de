package source

import (
	"context"
	"testing"
	"time"
)

func TestParseSchedule(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		disabled bool
		err      bool
	}{
		{spec: "@every 1m"},
		{spec: "@hourly"},
		{spec: "*/5 * * * *"},
		{spec: "30 */5 * * * *"}, // with seconds
		{spec: "off", disabled: true},
		{spec: "OFF", disabled: true},
		{spec: "", disabled: true},
		{spec: "every minute", err: true},
		{spec: "61 * * * *", err: true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			s, err := ParseSchedule(tc.spec)
			switch {
			case tc.err != (err != nil):
				t.Fatalf("err = %v, want error %v", err, tc.err)
			case !tc.err && tc.disabled != (s == nil):
				t.Fatalf("schedule = %v, want disabled %v", s, tc.disabled)
			}
		})
	}
}

// every is a cron.Schedule with a sub-second period (cron's @every rounds
// up to a second).
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }

type pollResult struct {
	moved []Move
	err   error
}

// TestPoll: scheduled fetches report moved refs, report an unreachable
// server while keeping the last refs, and recover when it returns.
func TestPoll(t *testing.T) {
	srv := newGitServer(t)
	wt := newWorkTree(t, srv.bare)
	c1 := wt.commit("first", map[string]string{"env.yaml": "v: 1\n"})
	wt.push("refs/heads/main")
	r := open(t, Options{URL: srv.URL()})
	results := make(chan pollResult, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Poll(ctx, every(50*time.Millisecond), func(_ context.Context, moved []Move, err error) {
			results <- pollResult{moved, err}
		})
	}()
	await := func(what string, ok func(pollResult) bool) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case res := <-results:
				if ok(res) {
					return
				}
			case <-deadline:
				t.Fatalf("no poll result with %s", what)
			}
		}
	}
	c2 := wt.commit("second", map[string]string{"env.yaml": "v: 2\n"})
	wt.push("refs/heads/main")
	await("main moved to c2", func(res pollResult) bool {
		return res.err == nil && len(res.moved) == 1 && res.moved[0] == Move{Ref: "main", From: c1, To: c2}
	})
	srv.stop()
	await("a fetch error", func(res pollResult) bool { return res.err != nil })
	if got := mustResolve(t, r, "main"); got != c2 {
		t.Errorf("main while the server is down = %s, want %s", got, c2)
	}
	c3 := wt.commit("third", map[string]string{"env.yaml": "v: 3\n"})
	wt.push("refs/heads/main")
	srv.restart()
	await("main moved to c3 after recovery", func(res pollResult) bool {
		return res.err == nil && len(res.moved) == 1 && res.moved[0].To == c3
	})
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Poll did not return after its context ended")
	}
}

func TestPollOff(t *testing.T) {
	r := &Repo{}
	finished := make(chan struct{})
	go func() { r.Poll(t.Context(), nil, nil); close(finished) }()
	select {
	case <-finished:
	case <-time.After(time.Second):
		t.Fatal("Poll with polling off did not return")
	}
}
