package source

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduleParser accepts robfig/cron specs with optional seconds and
// descriptors such as "@every 1m" and "@hourly".
var scheduleParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a poll schedule in robfig/cron syntax. "off" (or
// an empty spec) disables polling and returns a nil Schedule.
func ParseSchedule(spec string) (cron.Schedule, error) {
	spec = strings.TrimSpace(spec)
	if spec == "" || strings.EqualFold(spec, "off") {
		return nil, nil
	}
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("poll schedule %q: %w", spec, err)
	}
	return s, nil
}

// PollFunc gets the outcome of each scheduled fetch: the refs that moved,
// or the fetch error (the last good refs stay in use).
type PollFunc func(ctx context.Context, moved []Move, err error)

// Poll fetches on schedule until ctx ends, calling fn after every fetch.
// Fetches never overlap: a tick that comes during a slow fetch is skipped.
// A nil schedule returns at once.
func (r *Repo) Poll(ctx context.Context, schedule cron.Schedule, fn PollFunc) {
	if schedule == nil {
		return
	}
	for {
		now := time.Now()
		timer := time.NewTimer(schedule.Next(now).Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		moved, err := r.FetchChanges(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			r.log.Warn("scheduled fetch failed; keeping the last fetched refs", "error", err)
		}
		fn(ctx, moved, err)
	}
}
