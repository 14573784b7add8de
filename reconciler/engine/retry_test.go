package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"syscall"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRetriable(t *testing.T) {
	gr := schema.GroupResource{Group: "apps", Resource: "deployments"}
	urlErr := func(err error) error { return &url.Error{Op: "Patch", URL: "https://x", Err: err} }
	tests := []struct {
		err  error
		want bool
	}{
		{apierrors.NewTooManyRequests("slow down", 1), true},
		{apierrors.NewServiceUnavailable("restarting"), true},
		{apierrors.NewInternalError(errors.New("boom")), true},
		{apierrors.NewTimeoutError("slow", 1), true},
		{urlErr(syscall.ECONNREFUSED), true},
		{urlErr(syscall.ECONNRESET), true},
		{urlErr(io.ErrUnexpectedEOF), true},
		{urlErr(errors.New("http2: client connection force closed via ClientConn.Close")), true},
		{urlErr(errors.New("http2: client connection lost")), true},
		{apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, "x", nil), false},
		{apierrors.NewNotFound(gr, "x"), false},
		{apierrors.NewConflict(gr, "x", errors.New("conflict")), false},
		{apierrors.NewForbidden(gr, "x", errors.New("no")), false},
		{context.Canceled, false},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := retriable(tt.err); got != tt.want {
			t.Errorf("retriable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
