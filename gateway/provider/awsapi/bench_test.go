package awsapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/gitplane/gitplane/gateway/provider/awsapi"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
)

// nopTransport answers 200 with an empty body without any I/O.
type nopTransport struct{}

// RoundTrip closes the request body and answers.
func (nopTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Body.Close()
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
}

// BenchmarkSign is the cost of Client.Do without I/O: the payload hash and
// SigV4 signing of a 600-byte body to an escaped inference-profile path.
func BenchmarkSign(b *testing.B) {
	c, err := awsapi.New(awsapi.Options{Service: "bedrock", Region: "us-east-1", Host: "bedrock-runtime",
		HTTPClient: &http.Client{Transport: nopTransport{}}, Credentials: aws.NewCredentialsCache(awsfake.DefaultCredential.Provider())})
	if err != nil {
		b.Fatal(err)
	}
	t := c.Target("model", "us.anthropic.claude-3-5-sonnet-20241022-v2:0", "converse", http.Header{"Accept": {"application/json"}})
	body := strings.Repeat("x", 600)
	ctx := context.Background()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ReportAllocs()
	for b.Loop() {
		buf := awsapi.GetBuffer()
		buf.WriteString(body)
		resp, err := c.Do(ctx, t, buf)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
}
