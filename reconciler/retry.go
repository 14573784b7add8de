package reconciler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/apimachinery/pkg/util/wait"
)

// retriable reports whether a request may succeed when tried again: the API
// server is overloaded (429), failing (5xx) or unreachable.
func retriable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch {
	case apierrors.IsTooManyRequests(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsServiceUnavailable(err), apierrors.IsInternalError(err), apierrors.IsUnexpectedServerError(err):
		return true
	case utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err),
		utilnet.IsHTTP2ConnectionLost(err), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return true
	}
	// Connections torn down under a request, as when the API server
	// restarts; the net/http2 errors have no exported values.
	msg := err.Error()
	for _, s := range []string{"client connection force closed", "use of closed network connection", "server sent GOAWAY"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) && status.Status().Code >= 500 {
		return true
	}
	return false
}

// withRetry runs fn until it succeeds, fails for a reason retrying cannot
// mend, the backoff is exhausted or ctx ends; it returns fn's last error.
func withRetry[T any](ctx context.Context, b wait.Backoff, fn func(context.Context) (T, error)) (T, error) {
	var (
		out     T
		lastErr error
	)
	err := wait.ExponentialBackoffWithContext(ctx, b, func(ctx context.Context) (bool, error) {
		out, lastErr = fn(ctx)
		switch {
		case lastErr == nil:
			return true, nil
		case retriable(lastErr):
			return false, nil
		default:
			return false, lastErr
		}
	})
	switch {
	case lastErr != nil && retriable(lastErr) && wait.Interrupted(err) && ctx.Err() == nil:
		return out, fmt.Errorf("%w (gave up after %d tries)", lastErr, b.Steps)
	case lastErr != nil:
		return out, lastErr
	}
	return out, err
}
