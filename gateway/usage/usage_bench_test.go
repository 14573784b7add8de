package usage_test

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/gitplane/gitplane/gateway/openai"
	"github.com/gitplane/gitplane/gateway/usage"
)

// BenchmarkRecord is the accounting of one answered chat request: the
// metrics and the JSON access-log line (written to io.Discard).
func BenchmarkRecord(b *testing.B) {
	r := usage.New(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	rec := usage.Record{RequestID: "req_0123456789ab_1", Caller: "team-a", Model: "claude", Route: "claude", Provider: "bedrock",
		UpstreamModel: "amazon.titan-text-express-v1", Operation: "chat", Status: 200, Attempts: 1, Start: time.Now(),
		Usage: &openai.Usage{PromptTokens: 12, CompletionTokens: 3, TotalTokens: 15}, Latency: 310 * time.Microsecond,
		UpstreamLatency: 120 * time.Microsecond, CostUSD: 4.2e-6}
	b.ReportAllocs()
	for b.Loop() {
		r.Record(&rec)
	}
}
