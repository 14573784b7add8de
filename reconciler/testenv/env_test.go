package testenv_test

import (
	"context"
	"strings"
	"testing"

	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestUpstreamCRDsEstablished(t *testing.T) {
	cfg := testenv.Config(t)
	client, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range testenv.RequiredCRDs {
		crd, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			t.Errorf("CRD %s: %v", name, err)
			continue
		}
		if !testenv.Established(crd) {
			t.Errorf("CRD %s is not established", name)
		}
		t.Logf("CRD %s established", name)
	}
}

var nodePoolGVR = schema.GroupVersionResource{Group: "karpenter.sh", Version: "v1", Resource: "nodepools"}

const nodePoolYAML = `
apiVersion: karpenter.sh/v1
kind: NodePool
metadata:
  name: placeholder
spec:
  disruption:
    consolidationPolicy: WhenEmpty
    consolidateAfter: 1m
  template:
    spec:
      nodeClassRef: {group: karpenter.k8s.aws, kind: EC2NodeClass, name: default}
      requirements:
      - {key: karpenter.sh/capacity-type, operator: In, values: [spot]}
`

// TestNodePoolSchemaEnforced proves the real upstream schema is in force: the
// API server accepts a valid NodePool and rejects an invalid enum value.
func TestNodePoolSchemaEnforced(t *testing.T) {
	cfg := testenv.Config(t)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, policy string
		wantErr      string
	}{
		{name: "valid", policy: "WhenEmptyOrUnderutilized"},
		{name: "invalid", policy: "Sometimes", wantErr: `spec.disruption.consolidationPolicy: Unsupported value: "Sometimes"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(nodePoolYAML), &obj.Object); err != nil {
				t.Fatal(err)
			}
			obj.SetName("schema-" + tt.name)
			if err := unstructured.SetNestedField(obj.Object, tt.policy, "spec", "disruption", "consolidationPolicy"); err != nil {
				t.Fatal(err)
			}
			// a server-side dry-run: validated in full, nothing stored, so
			// the test runs again on the same control plane
			_, err := dyn.Resource(nodePoolGVR).Create(context.Background(), obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("valid NodePool rejected: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatal("invalid NodePool accepted; the CRD schema is not in force")
			case tt.wantErr != "" && (!apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error = %v, want Invalid containing %q", err, tt.wantErr)
			}
		})
	}
}
