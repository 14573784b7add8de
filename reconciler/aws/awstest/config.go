package awstest

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/gitplane/gitplane/reconciler/aws/awsconfig"
)

// Obviously fake credentials for tests; never valid anywhere.
const (
	AccessKeyID     = "AKIDFAKEGITPLANETEST"
	SecretAccessKey = "fake/secret/for/tests/only/not/a/real/key"
)

// Config returns an aws.Config with the fake static credentials and
// gitplane's retryer with a 50 ms maximum backoff.
func Config(region string) aws.Config {
	return aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		Retryer:     func() aws.Retryer { return awsconfig.NewRetryer(50 * time.Millisecond) },
	}
}

// recorder counts requests per action and throttles on request.
type recorder struct {
	mu       sync.Mutex
	calls    map[string]int
	throttle int
}

// Throttle makes the next n requests fail with the service's throttling error.
func (r *recorder) Throttle(n int) {
	r.mu.Lock()
	r.throttle = n
	r.mu.Unlock()
}

// Calls returns how many requests for action arrived, throttled ones included.
func (r *recorder) Calls(action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[action]
}

// record counts a request and reports whether it must be throttled.
func (r *recorder) record(action string) (throttled bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[action]++
	if r.throttle > 0 {
		r.throttle--
		return true
	}
	return false
}

// signed reports whether a request carries a SigV4 Authorization header made
// with the fake access key for service.
func signed(t testing.TB, req *http.Request, service string) bool {
	auth := req.Header.Get("Authorization")
	ok := strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential="+AccessKeyID+"/") &&
		strings.Contains(auth, "/"+service+"/aws4_request")
	if !ok {
		t.Errorf("%s request %s %s: missing or foreign SigV4 signature: %q", service, req.Method, req.URL, auth)
	}
	return ok
}
