package cli

import (
	"context"
	"fmt"
	"os"

	"k8s.io/client-go/rest"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/engine"
	"github.com/gitplane/gitplane/schema"
)

// engines are a command's connections to clusters, the engine.Factory
// that diff, apply and serve plan and apply with: the kubeconfig's cluster
// when --kubeconfig, --context or $KUBECONFIG names one (for serve also
// the cluster whose pod it runs in); else, with AWS credentials and
// without --skip-aws, each Environment's EKS cluster by name (name,
// region and account; tokens refreshed before they expire); else the
// default kubeconfig's cluster.
type engines struct {
	engine.Factory
	fixed  *engine.Engine     // the one cluster named; nil when connecting by name
	byName *engine.PerCluster // nil unless connecting by name
}

// connectOptions say how a command reaches clusters.
type connectOptions struct {
	// region is the default AWS region, for credential providers that
	// call STS: apply and diff use their Environment's.
	region string
	// inCluster lets running in a pod name the cluster (serve).
	inCluster bool
	engine    engine.Options
}

// engines connects as the flags say.
func (f *clusterFlags) engines(ctx context.Context, aws awsFlags, o connectOptions) (*engines, error) {
	if !f.named(o.inCluster) && !aws.skip {
		if chk := gpaws.New(ctx, gpaws.Options{Profile: aws.profile, Region: o.region}); chk.Enabled() {
			p := engine.NewPerCluster(eksConfig(chk), o.engine)
			return &engines{Factory: p, byName: p}, nil
		}
	}
	return f.kubeconfigEngines(o.engine)
}

// kubeconfigEngines connects to the kubeconfig's cluster, whatever the
// Environment.
func (f *clusterFlags) kubeconfigEngines(opts engine.Options) (*engines, error) {
	cfg, err := f.restConfig()
	if err != nil {
		return nil, err
	}
	e, err := engine.New(cfg, opts)
	if err != nil {
		return nil, err
	}
	return &engines{Factory: engine.Fixed(e), fixed: e}, nil
}

// named says whether a kubeconfig is named: --kubeconfig, --context,
// $KUBECONFIG or, with inCluster, the service account of the pod.
func (f *clusterFlags) named(inCluster bool) bool {
	return f.kubeconfig != "" || f.context != "" || os.Getenv("KUBECONFIG") != "" ||
		inCluster && os.Getenv("KUBERNETES_SERVICE_HOST") != ""
}

// eksConfig connects to an Environment's EKS cluster by name.
func eksConfig(chk *gpaws.Client) engine.ConfigFunc {
	return func(ctx context.Context, env *schema.Environment) (*rest.Config, error) {
		cfg, err := chk.RESTConfig(ctx, env)
		if err != nil {
			return nil, fmt.Errorf("connecting to EKS cluster %s in %s by name (pass --kubeconfig or --context to use a kubeconfig): %w",
				env.Spec.Cluster.Name, env.Spec.Cluster.Region, err)
		}
		return cfg, nil
	}
}

// close ends the connections' watches.
func (e *engines) close() {
	if e.byName != nil {
		e.byName.Close()
	}
	if e.fixed != nil {
		e.fixed.Close()
	}
}
