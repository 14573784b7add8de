package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// RequiredCRDs are the upstream CRDs every control plane must have established.
var RequiredCRDs = []string{
	"nodepools.karpenter.sh",
	"ec2nodeclasses.karpenter.k8s.aws",
	"virtualservices.networking.istio.io",
	"gateways.networking.istio.io",
	"destinationrules.networking.istio.io",
	"serviceentries.networking.istio.io",
	"peerauthentications.security.istio.io",
	"authorizationpolicies.security.istio.io",
}

// Options says where the binaries and CRDs are. Empty fields are found from the
// environment (KUBEBUILDER_ASSETS, GITPLANE_CRDS) or the repository's .cache/.
type Options struct {
	AssetsDir string
	CRDDir    string
}

// Env is a running control plane.
type Env struct {
	Config *rest.Config
	CRDs   []string // names of the established CRDs
	env    *envtest.Environment
}

// Start launches etcd and kube-apiserver, installs the CRDs and waits until
// every CRD is established.
func Start(ctx context.Context, opts Options) (*Env, error) {
	if err := resolve(&opts); err != nil {
		return nil, err
	}
	te := &envtest.Environment{
		BinaryAssetsDirectory: opts.AssetsDir,
		CRDDirectoryPaths:     []string{opts.CRDDir},
		ErrorIfCRDPathMissing: true,
	}
	// envtest's default service range (a /24) runs out of ClusterIPs at a
	// few hundred Models; benchmarks apply thousands of Services.
	te.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/16")
	cfg, err := te.Start()
	if err != nil {
		return nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", opts.AssetsDir, err)
	}
	cfg.QPS, cfg.Burst = 500, 1000
	e := &Env{Config: cfg, env: te}
	if e.CRDs, err = waitEstablished(ctx, cfg); err != nil {
		_ = te.Stop()
		return nil, err
	}
	return e, nil
}

// Stop ends the control plane and removes its data.
func (e *Env) Stop() error {
	if e == nil || e.env == nil {
		return nil
	}
	return e.env.Stop()
}

// KubeConfig returns a kubeconfig for a cluster-admin user of this control plane.
func (e *Env) KubeConfig() ([]byte, error) {
	user, err := e.env.AddUser(envtest.User{Name: "gitplane-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding admin user: %w", err)
	}
	return user.KubeConfig()
}

func resolve(opts *Options) error {
	root := repoRoot()
	if opts.AssetsDir == "" {
		opts.AssetsDir = firstNonEmpty(os.Getenv("KUBEBUILDER_ASSETS"), filepath.Join(root, ".cache", "bin"))
	}
	if opts.CRDDir == "" {
		opts.CRDDir = firstNonEmpty(os.Getenv("GITPLANE_CRDS"), filepath.Join(root, ".cache", "crds"))
	}
	for _, bin := range []string{"etcd", "kube-apiserver"} {
		if _, err := os.Stat(filepath.Join(opts.AssetsDir, bin)); err != nil {
			return fmt.Errorf("%s not found in %s: run `make controlplane` first", bin, opts.AssetsDir)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.CRDDir, "karpenter.sh_nodepools.yaml")); err != nil {
		return fmt.Errorf("CRDs not found in %s: run `make controlplane` first", opts.CRDDir)
	}
	return nil
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// waitEstablished waits until every installed CRD reports Established and
// returns their names; it fails if one of RequiredCRDs is missing.
func waitEstablished(ctx context.Context, cfg *rest.Config) ([]string, error) {
	client, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating apiextensions client: %w", err)
	}
	var names, pending []string
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
		list, err := client.ApiextensionsV1().CustomResourceDefinitions().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, nil
		}
		names, pending = names[:0], pending[:0]
		for _, crd := range list.Items {
			names = append(names, crd.Name)
			if !Established(&crd) {
				pending = append(pending, crd.Name)
			}
		}
		return len(pending) == 0, nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for CRDs to be established (pending %v): %w", pending, err)
	}
	sort.Strings(names)
	var missing []string
	for _, want := range RequiredCRDs {
		if i := sort.SearchStrings(names, want); i == len(names) || names[i] != want {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		return nil, errors.New("CRDs missing from the control plane: " + fmt.Sprint(missing))
	}
	return names, nil
}

// Established reports whether a CRD's Established condition is True.
func Established(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established {
			return c.Status == apiextensionsv1.ConditionTrue
		}
	}
	return false
}
