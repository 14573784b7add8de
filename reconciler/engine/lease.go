package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var leases = schema.GroupVersionResource{Group: "coordination.k8s.io", Version: "v1", Resource: "leases"}

// LeaseName is the name of the Lease in InventoryNamespace that a sync of
// env holds.
func LeaseName(env string) string { return "gitplane-sync-" + env }

// BusyError says another run holds the Environment's Lease: it is syncing
// the Environment now.
type BusyError struct {
	Environment string
	Holder      string
	Since       time.Time
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("Environment %s is being synced by %s since %s", e.Environment, e.Holder, e.Since.UTC().Format(time.RFC3339))
}

// ErrLeaseLost is the cause of a Lock's context ending because the Lease
// could not be renewed in time or another run took it.
var ErrLeaseLost = errors.New("lost the Lease")

// lockKey marks a context whose holder holds env's Lease through engine e.
type lockKey struct {
	e   *Engine
	env string
}

// holds reports whether ctx carries the Lease of env taken by Lock.
func (e *Engine) holds(ctx context.Context, env string) bool {
	return ctx.Value(lockKey{e, env}) != nil
}

// Lock takes the Environment's Lease (LeaseName in InventoryNamespace) so
// that no other gitplane — CLI or serve, in any process — syncs it
// meanwhile, and renews it in the background until release is called. The
// returned context ends, with cause ErrLeaseLost, if the Lease is lost;
// Apply given it (or a context derived from it) does not take the Lease
// again. A Lease another run holds and renews yields a *BusyError naming the
// holder; one whose holder stopped renewing it (a killed process) is taken
// once Options.LeaseDuration has passed since its last renewal.
func (e *Engine) Lock(ctx context.Context, env string) (context.Context, func(), error) {
	now := e.opts.Clock.Now()
	e.leaseMu.Lock()
	if since, ok := e.held[env]; ok {
		e.leaseMu.Unlock()
		return nil, nil, &BusyError{Environment: env, Holder: e.opts.Identity, Since: since}
	}
	e.held[env] = now
	e.leaseMu.Unlock()
	obj, err := e.acquireLease(ctx, env)
	if err != nil {
		e.unhold(env)
		return nil, nil, err
	}
	lctx, cancel := context.WithCancelCause(context.WithValue(ctx, lockKey{e, env}, true))
	l := &heldLease{e: e, env: env, lease: obj, cancel: cancel, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew(lctx)
	release := sync.OnceFunc(func() { l.release(ctx, lctx) })
	e.opts.Logger.Debug("took the Lease", "env", env, "holder", e.opts.Identity)
	return lctx, release, nil
}

func (e *Engine) unhold(env string) {
	e.leaseMu.Lock()
	delete(e.held, env)
	e.leaseMu.Unlock()
}

// acquireLease creates the Lease or takes it over when it is free or
// expired; another writer's change in between is looked at again.
func (e *Engine) acquireLease(ctx context.Context, env string) (*coordinationv1.Lease, error) {
	for range 4 {
		cur, err := e.getLease(ctx, env)
		if err != nil {
			return nil, err
		}
		now := e.opts.Clock.Now()
		if cur == nil {
			created, err := e.writeLease(ctx, e.newLease(env, now), true)
			switch {
			case apierrors.IsAlreadyExists(err):
				continue
			case apierrors.IsNotFound(err):
				if err := e.ensureInventoryNamespace(ctx); err != nil {
					return nil, err
				}
				continue
			case err != nil:
				return nil, fmt.Errorf("taking Lease %s/%s: %w", InventoryNamespace, LeaseName(env), err)
			}
			return created, nil
		}
		// A Lease with this engine's identity is one whose release failed.
		if holder, since, ok := heldBy(cur, now); ok && holder != e.opts.Identity {
			return nil, &BusyError{Environment: env, Holder: holder, Since: since}
		}
		next := cur.DeepCopy()
		next.Spec = e.newLease(env, now).Spec
		next.Spec.LeaseTransitions = new(int32(0))
		if cur.Spec.LeaseTransitions != nil {
			*next.Spec.LeaseTransitions = *cur.Spec.LeaseTransitions + 1
		}
		updated, err := e.writeLease(ctx, next, false)
		if apierrors.IsConflict(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("taking Lease %s/%s: %w", InventoryNamespace, LeaseName(env), err)
		}
		return updated, nil
	}
	return nil, fmt.Errorf("taking Lease %s/%s: it kept changing", InventoryNamespace, LeaseName(env))
}

func (e *Engine) newLease(env string, now time.Time) *coordinationv1.Lease {
	t := metav1.NewMicroTime(now)
	return &coordinationv1.Lease{
		TypeMeta: metav1.TypeMeta{APIVersion: "coordination.k8s.io/v1", Kind: "Lease"},
		ObjectMeta: metav1.ObjectMeta{Name: LeaseName(env), Namespace: InventoryNamespace,
			Labels: map[string]string{"app.kubernetes.io/managed-by": FieldManager, "gitplane.dev/lease": env}},
		Spec: coordinationv1.LeaseSpec{
			HolderIdentity:       new(e.opts.Identity),
			LeaseDurationSeconds: new(int32(e.opts.LeaseDuration / time.Second)),
			AcquireTime:          &t,
			RenewTime:            &t,
		},
	}
}

// heldBy returns the Lease's holder and since when it holds it, and
// whether it still does: renewed within its duration.
func heldBy(l *coordinationv1.Lease, now time.Time) (holder string, since time.Time, held bool) {
	s := l.Spec
	if s.HolderIdentity == nil || *s.HolderIdentity == "" || s.RenewTime == nil || s.LeaseDurationSeconds == nil {
		return "", time.Time{}, false
	}
	since = s.RenewTime.Time
	if s.AcquireTime != nil {
		since = s.AcquireTime.Time
	}
	expires := s.RenewTime.Add(time.Duration(*s.LeaseDurationSeconds) * time.Second)
	return *s.HolderIdentity, since, now.Before(expires)
}

func (e *Engine) getLease(ctx context.Context, env string) (*coordinationv1.Lease, error) {
	u, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		return e.client.Resource(leases).Namespace(InventoryNamespace).Get(ctx, LeaseName(env), metav1.GetOptions{})
	})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Lease %s/%s: %w", InventoryNamespace, LeaseName(env), err)
	}
	return leaseFrom(u)
}

// writeLease creates or updates (conditionally on its resourceVersion) the
// Lease.
func (e *Engine) writeLease(ctx context.Context, l *coordinationv1.Lease, create bool) (*coordinationv1.Lease, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(l)
	if err != nil {
		return nil, fmt.Errorf("converting Lease: %w", err)
	}
	obj := &unstructured.Unstructured{Object: m}
	ri := e.client.Resource(leases).Namespace(InventoryNamespace)
	u, err := withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (*unstructured.Unstructured, error) {
		if create {
			return ri.Create(ctx, obj, metav1.CreateOptions{FieldManager: FieldManager})
		}
		return ri.Update(ctx, obj, metav1.UpdateOptions{FieldManager: FieldManager})
	})
	if err != nil {
		return nil, err
	}
	return leaseFrom(u)
}

func leaseFrom(u *unstructured.Unstructured) (*coordinationv1.Lease, error) {
	var l coordinationv1.Lease
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &l); err != nil {
		return nil, fmt.Errorf("reading Lease %s: %w", u.GetName(), err)
	}
	return &l, nil
}

// heldLease is a Lease Lock took, renewed until released.
type heldLease struct {
	e      *Engine
	env    string
	lease  *coordinationv1.Lease // as last written; only the renewer and release touch it
	cancel context.CancelCauseFunc
	stop   chan struct{}
	done   chan struct{}
}

// renew renews the Lease every third of its duration; when it cannot
// before the Lease expires, or another run took it, it cancels the lock's
// context with ErrLeaseLost.
func (l *heldLease) renew(ctx context.Context) {
	defer close(l.done)
	t := l.e.opts.Clock.NewTicker(l.e.opts.LeaseDuration / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C():
		}
		err := l.renewOnce(ctx)
		if err == nil {
			continue
		}
		if _, _, held := heldBy(l.lease, l.e.opts.Clock.Now()); held && !errors.Is(err, ErrLeaseLost) {
			l.e.opts.Logger.Warn("renewing the Lease failed; retrying", "env", l.env, "error", err)
			continue
		}
		if !errors.Is(err, ErrLeaseLost) {
			err = fmt.Errorf("%w of Environment %s: it expired before it could be renewed: %w", ErrLeaseLost, l.env, err)
		}
		l.e.opts.Logger.Warn("lost the Lease; stopping the sync", "env", l.env, "error", err)
		l.cancel(err)
		return
	}
}

func (l *heldLease) renewOnce(ctx context.Context) error {
	next := l.lease.DeepCopy()
	next.Spec.RenewTime = new(metav1.NewMicroTime(l.e.opts.Clock.Now()))
	updated, err := l.e.writeLease(ctx, next, false)
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		cur, gerr := l.e.getLease(ctx, l.env)
		if gerr != nil {
			return gerr
		}
		if cur == nil || cur.Spec.HolderIdentity == nil || *cur.Spec.HolderIdentity != l.e.opts.Identity {
			holder := "nobody"
			if cur != nil && cur.Spec.HolderIdentity != nil {
				holder = *cur.Spec.HolderIdentity
			}
			return fmt.Errorf("%w of Environment %s: it is now held by %s", ErrLeaseLost, l.env, holder)
		}
		l.lease = cur
		return l.renewOnce(ctx)
	}
	if err != nil {
		return err
	}
	l.lease = updated
	return nil
}

// release stops renewing and gives the Lease up (clears its holder), even
// when ctx has ended, unless it was lost.
func (l *heldLease) release(ctx, lctx context.Context) {
	close(l.stop)
	<-l.done
	defer l.e.unhold(l.env)
	defer l.cancel(context.Canceled)
	if errors.Is(context.Cause(lctx), ErrLeaseLost) {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	next := l.lease.DeepCopy()
	next.Spec.HolderIdentity = nil
	if _, err := l.e.writeLease(rctx, next, false); err != nil {
		l.e.opts.Logger.Warn("giving the Lease up failed; it expires by itself", "env", l.env, "error", err,
			"expires", l.lease.Spec.RenewTime.Add(l.e.opts.LeaseDuration))
	}
}
