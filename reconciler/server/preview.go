package server

import (
	"context"
	"strconv"
	"time"

	"github.com/gitplane/gitplane/reconciler/webhook"
)

func prKey(n int) string { return "pr/" + strconv.Itoa(n) }

// previewJob previews or closes one pull request; runs of one PR never
// overlap and a burst of pushes to it becomes one preview of the newest.
func (s *Server) previewJob(ctx context.Context, _ string, ev webhook.PREvent) {
	start := time.Now()
	var err error
	if ev.Action == "closed" {
		err = s.opts.Previewer.Closed(ctx, ev)
	} else {
		err = s.opts.Previewer.Preview(ctx, ev)
	}
	result := "success"
	if err != nil {
		result = "failure"
		s.log.Error("preview failed", "pr", ev.Number, "revision", ev.HeadSHA, "delivery", ev.DeliveryID, "error", err)
	}
	s.metrics.previewDuration.WithLabelValues(result).Observe(time.Since(start).Seconds())
}
