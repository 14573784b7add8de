package eksauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

// TestTransport checks that every request carries the source's token, that
// concurrent requests share one cached token, and that a 401 makes the next
// request carry a newly signed one although the old one had not expired.
func TestTransport(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	reject := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		seen[r.Header.Get("Authorization")]++
		if reject && r.URL.Path == "/reject" {
			reject = false
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	t.Cleanup(srv.Close)

	clk := testingclock.NewFakeClock(signTime)
	gen := eksauth.NewGenerator(sts.NewFromConfig(awstest.Config("us-east-1")), clk)
	src := eksauth.NewTokenSource(gen, "gitplane-test", clk, 0, nil)
	client := &http.Client{Transport: eksauth.WrapTransport(src)(http.DefaultTransport)}
	get := func(path string) int {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Error(err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() { get("/ok") })
	}
	wg.Wait()
	first, err := src.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen["Bearer "+first.Value] != 10 {
		t.Fatalf("10 concurrent requests carried %d distinct Authorization headers, want the one cached token", len(seen))
	}
	clk.Step(time.Second)
	if code := get("/reject"); code != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401", code)
	}
	get("/ok")
	if len(seen) != 2 || seen["Bearer "+first.Value] != 11 {
		t.Errorf("after a 401: %d distinct tokens, first used %d times; want a new token for the request after the 401", len(seen), seen["Bearer "+first.Value])
	}
}
