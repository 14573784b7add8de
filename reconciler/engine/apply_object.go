package engine

import (
	"context"
	"fmt"
	"reflect"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// applyCall says how to apply one object.
type applyCall struct {
	dryRun     bool
	force      bool // take every conflicting field (AllowForceConflicts)
	forceDrift bool // take fields that imperative edits changed (drift)
	live       *unstructured.Unstructured
}

// applyOne server-side applies one object as gitplane. A conflict with
// managers that only edited the object imperatively is drift and is
// overridden; any other conflict is returned as a *ConflictError.
func (e *Engine) applyOne(ctx context.Context, obj *unstructured.Unstructured, call applyCall) (*unstructured.Unstructured, error) {
	ref := RefOf(obj)
	ri, err := e.resource(ctx, ref)
	if err != nil {
		return nil, err
	}
	opts := metav1.ApplyOptions{FieldManager: FieldManager, Force: call.force}
	if call.dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	apply := func(ctx context.Context) (*unstructured.Unstructured, error) {
		return ri.Apply(ctx, ref.Name, obj, opts)
	}
	out, err := withRetry(ctx, e.opts.Backoff, apply)
	if apierrors.IsConflict(err) && !call.force {
		conflicts := fieldConflicts(err)
		if !call.forceDrift || !imperativeOnly(conflicts, call.live) {
			return nil, &ConflictError{Ref: ref, Conflicts: conflicts}
		}
		opts.Force = true
		out, err = withRetry(ctx, e.opts.Backoff, apply)
	}
	return out, err
}

// deleteOne deletes an object, when given only if it still satisfies the
// preconditions; an object already gone is not an error.
func (e *Engine) deleteOne(ctx context.Context, ref Ref, policy metav1.DeletionPropagation, dryRun bool, pre *metav1.Preconditions) error {
	ri, err := e.resource(ctx, ref)
	if err != nil {
		return err
	}
	opts := metav1.DeleteOptions{PropagationPolicy: &policy, Preconditions: pre}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = withRetry(ctx, e.opts.Backoff, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, ri.Delete(ctx, ref.Name, opts)
	})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// recreatePoll is how often a recreate looks whether the old object is gone.
const recreatePoll = 200 * time.Millisecond

// recreate deletes the object, waits until it is gone (at most
// Options.RecreateTimeout), and applies it. The
// deletion propagates in the background: the new object takes the name at
// once and the garbage collector removes the old one's dependents (a
// Deployment's ReplicaSets), as kubectl replace --force does.
func (e *Engine) recreate(ctx context.Context, c Change) (*unstructured.Unstructured, error) {
	if err := e.deleteOne(ctx, c.Ref, metav1.DeletePropagationBackground, false, nil); err != nil {
		return nil, fmt.Errorf("deleting %s to recreate it: %w", c.Ref, err)
	}
	err := e.poll(ctx, recreatePoll, e.opts.RecreateTimeout, func(ctx context.Context) (bool, error) {
		obj, err := e.getLive(ctx, c.Ref)
		return obj == nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for %s to be deleted before recreating it: %w", c.Ref, err)
	}
	return e.applyOne(ctx, c.Desired, applyCall{})
}

// SameObject reports whether two versions of an object are equal in
// everything a diff shows (server-maintained metadata and status aside).
func SameObject(a, b *unstructured.Unstructured) bool {
	if a == nil || b == nil {
		return a == b
	}
	return reflect.DeepEqual(forDiff(a), forDiff(b))
}
