// Command devcluster runs gitplane's local control plane — etcd and
// kube-apiserver with the upstream Karpenter and Istio CRDs — until it is
// stopped, and writes a kubeconfig for it. `make demo` starts it in the
// background and `make demo-down` stops it by its recorded PID.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

func main() {
	kubeconfig := flag.String("write-kubeconfig", ".demo/kubeconfig", "where to write the kubeconfig")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*kubeconfig, log); err != nil {
		log.Error("devcluster failed", "error", err)
		os.Exit(1)
	}
}

func run(kubeconfigPath string, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := testenv.Start(ctx, testenv.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			log.Error("stopping control plane", "error", err)
		}
	}()
	// A real cluster has Istio installed, which owns the ingress gateway's
	// namespace; gitplane renders objects into it but does not create it.
	if err := createNamespace(ctx, env.Config, "istio-system"); err != nil {
		return err
	}
	kubeconfig, err := env.KubeConfig()
	if err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("writing kubeconfig: %w", err)
	}
	log.Info("control plane ready", "apiserver", env.Config.Host, "crds", len(env.CRDs), "kubeconfig", kubeconfigPath)
	<-ctx.Done()
	log.Info("stopping control plane")
	return nil
}

func createNamespace(ctx context.Context, cfg *rest.Config, name string) error {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", name, err)
	}
	return nil
}
