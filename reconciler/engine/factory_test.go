package engine_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/schema"
)

func clusterEnv(name, cluster, region string) *schema.Environment {
	e := &schema.Environment{}
	e.Metadata.Name = name
	e.Spec.Cluster = schema.ClusterSpec{Name: cluster, Region: region, AccountID: "111122223333"}
	return e
}

// TestPerClusterConnectsOncePerCluster: Environments on one cluster (name,
// region, account) share an Engine; a renamed cluster, or one of the same
// name in another region, gets its own; a failed connection is tried again
// on the next call.
func TestPerClusterConnectsOncePerCluster(t *testing.T) {
	var asked []string
	down := true
	f := engine.NewPerCluster(func(_ context.Context, env *schema.Environment) (*rest.Config, error) {
		asked = append(asked, env.Spec.Cluster.Name+"/"+env.Spec.Cluster.Region)
		if env.Spec.Cluster.Name == "ml-flaky" && down {
			down = false
			return nil, errors.New("DescribeCluster: throttled")
		}
		return &rest.Config{Host: "https://" + env.Spec.Cluster.Name + "." + env.Spec.Cluster.Region + ".eks.example"}, nil
	}, engine.DefaultOptions())
	t.Cleanup(f.Close)
	ctx := context.Background()
	get := func(env *schema.Environment) *engine.Engine {
		t.Helper()
		e, err := f.Engine(ctx, env)
		if err != nil || e == nil {
			t.Fatalf("Engine(%s on %s): %v, %v", env.Metadata.Name, engine.ClusterOf(env), e, err)
		}
		return e
	}

	staging := get(clusterEnv("staging", "ml-staging", "us-east-1"))
	tests := []struct {
		name  string
		env   *schema.Environment
		share bool
	}{
		{"another Environment on the cluster", clusterEnv("staging-canary", "ml-staging", "us-east-1"), true},
		{"the Environment again", clusterEnv("staging", "ml-staging", "us-east-1"), true},
		{"the Environment moved to another cluster", clusterEnv("staging", "ml-staging-green", "us-east-1"), false},
		{"a cluster of the same name in another region", clusterEnv("staging", "ml-staging", "eu-west-1"), false},
	}
	for _, tt := range tests {
		if got := get(tt.env); (got == staging) != tt.share {
			t.Errorf("%s: shares staging's Engine %v, want %v", tt.name, got == staging, tt.share)
		}
	}
	if want := []string{"ml-staging/us-east-1", "ml-staging-green/us-east-1", "ml-staging/eu-west-1"}; !slices.Equal(asked, want) {
		t.Errorf("configurations asked for %v, want one per cluster %v", asked, want)
	}

	flaky := clusterEnv("batch", "ml-flaky", "us-east-1")
	if e, err := f.Engine(ctx, flaky); err == nil || e != nil {
		t.Fatalf("Engine with the configuration failing = %v, %v; want the error", e, err)
	}
	if first, again := get(flaky), get(flaky); first != again {
		t.Error("after a failed connection, the cluster got two Engines")
	}
}
