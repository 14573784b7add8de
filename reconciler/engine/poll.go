package engine

import (
	"context"
	"fmt"
	"time"
)

// poll calls cond at once and then every interval, on the Engine's clock,
// until it returns true or an error, ctx ends, or timeout passes: then it
// returns an error wrapping context.DeadlineExceeded. cond is called once
// more when the timeout is reached.
func (e *Engine) poll(ctx context.Context, interval, timeout time.Duration, cond func(context.Context) (bool, error)) error {
	deadline := e.opts.Clock.Now().Add(timeout)
	for {
		done, err := cond(ctx)
		if err != nil || done {
			return err
		}
		left := deadline.Sub(e.opts.Clock.Now())
		if left <= 0 {
			return fmt.Errorf("not done after %s: %w", timeout, context.DeadlineExceeded)
		}
		if err := e.sleep(ctx, min(interval, left)); err != nil {
			return err
		}
	}
}

// sleep waits d on the Engine's clock, or until ctx ends (its error).
func (e *Engine) sleep(ctx context.Context, d time.Duration) error {
	t := e.opts.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
