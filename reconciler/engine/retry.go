package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
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
	var stale *staleDiscoveryError
	return errors.As(err, &stale)
}

// staleDiscoveryError is a "no matches for kind" for a kind a CRD in the
// cluster defines: the discovery cache is behind (the API server restarted
// and serves its CRD kinds a moment later, or the CRD was just
// established). Retried, after resetting the RESTMapper.
type staleDiscoveryError struct{ err error }

func (e *staleDiscoveryError) Error() string { return e.err.Error() }
func (e *staleDiscoveryError) Unwrap() error { return e.err }

// restMapping maps a kind to its resource. A kind discovery does not know
// although an established CRD serves it is stale discovery: the RESTMapper
// is reset and asked again, with the engine's backoff. A kind nothing
// defines (its CRD comes with this sync, or is not installed) fails at
// once with the meta.NoKindMatchError.
func (e *Engine) restMapping(ctx context.Context, gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if !meta.IsNoMatchError(err) {
		return m, err
	}
	// One refresh at a time: the others wait, then find the kind mapped.
	e.discoMu.Lock()
	defer e.discoMu.Unlock()
	if m, err = e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version); !meta.IsNoMatchError(err) {
		return m, err
	}
	served, cerr := e.crdServes(ctx, gvk)
	if cerr != nil || !served {
		return nil, err
	}
	e.opts.Logger.Info("discovery does not know a kind a CRD serves; refreshing it", "kind", gvk.String())
	return withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*meta.RESTMapping, error) {
		e.mapper.Reset()
		m, err := e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if meta.IsNoMatchError(err) {
			return nil, &staleDiscoveryError{err}
		}
		return m, err
	})
}

var crds = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// crdServes reports whether an established CRD in the cluster serves the
// kind at the version. CRDs are named <plural>.<group>: their names are
// listed (metadata only), and only those of the kind's group read whole.
func (e *Engine) crdServes(ctx context.Context, gvk schema.GroupVersionKind) (bool, error) {
	if gvk.Group == "" || !strings.Contains(gvk.Group, ".") {
		return false, nil // built-in kinds are not defined by CRDs
	}
	list, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*metav1.PartialObjectMetadataList, error) {
		return e.meta.Resource(crds).List(ctx, metav1.ListOptions{})
	})
	if err != nil {
		return false, fmt.Errorf("listing CRDs: %w", err)
	}
	for _, item := range list.Items {
		if !strings.HasSuffix(item.Name, "."+gvk.Group) {
			continue
		}
		crd, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
			return e.client.Resource(crds).Get(ctx, item.Name, metav1.GetOptions{})
		})
		if err != nil {
			return false, fmt.Errorf("reading CRD %s: %w", item.Name, err)
		}
		if crdServesKind(crd, gvk) {
			return true, nil
		}
	}
	return false, nil
}

func crdServesKind(crd *unstructured.Unstructured, gvk schema.GroupVersionKind) bool {
	group, _, _ := unstructured.NestedString(crd.Object, "spec", "group")
	kind, _, _ := unstructured.NestedString(crd.Object, "spec", "names", "kind")
	if group != gvk.Group || kind != gvk.Kind || !crdEstablished(crd) {
		return false
	}
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	for _, v := range versions {
		v, _ := v.(map[string]any)
		if name, _ := v["name"].(string); name == gvk.Version {
			served, _ := v["served"].(bool)
			return served
		}
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
