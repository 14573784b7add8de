package aws_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/gitplane/gitplane/render"
)

// TestSpotWorkloadSide holds render to what docs/aws.md promises a GPU Model
// on spot-with-fallback gets: a PDB, a preStop drain inside a grace period
// that fits the 2-minute notice, zone and host spread, and a spot NodePool
// preferred over an on-demand fallback pool.
func TestSpotWorkloadSide(t *testing.T) {
	res, err := render.Render(context.Background(), os.DirFS("../../examples/specs"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]map[string]*unstructured.Unstructured{}
	for _, o := range res.Objects {
		if byKind[o.GetKind()] == nil {
			byKind[o.GetKind()] = map[string]*unstructured.Unstructured{}
		}
		byKind[o.GetKind()][o.GetNamespace()+"/"+o.GetName()] = o
	}
	checked, withFallback := 0, 0
	for key, d := range byKind["Deployment"] {
		pools := nodePoolNames(d)
		if len(pools) == 0 {
			continue // not on GPU nodes
		}
		checked++
		pdb := byKind["PodDisruptionBudget"][key]
		if maxUnavailable, _, _ := unstructured.NestedInt64(obj(pdb), "spec", "maxUnavailable"); pdb == nil || maxUnavailable != 1 {
			t.Errorf("%s: PodDisruptionBudget %v, want maxUnavailable 1", key, pdb != nil)
		}
		grace, _, _ := unstructured.NestedInt64(d.Object, "spec", "template", "spec", "terminationGracePeriodSeconds")
		containers, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "containers")
		preStop, _, _ := unstructured.NestedInt64(containers[0].(map[string]any), "lifecycle", "preStop", "sleep", "seconds")
		if preStop <= 0 || preStop >= grace || grace > 110 {
			t.Errorf("%s: preStop %ds, grace %ds; want 0 < preStop < grace <= 110 (inside the 120 s notice)", key, preStop, grace)
		}
		if keys := spreadKeys(d); !slices.Contains(keys, "topology.kubernetes.io/zone") || !slices.Contains(keys, "kubernetes.io/hostname") {
			t.Errorf("%s: topology spread over %v, want zone and hostname", key, keys)
		}
		if len(pools) == 1 {
			continue // capacity spot or on-demand: no fallback pool
		}
		withFallback++
		weights := map[string]int64{}
		for _, name := range pools {
			np := byKind["NodePool"]["/"+name]
			if np == nil {
				t.Fatalf("%s: NodePool %s missing", key, name)
			}
			w, _, _ := unstructured.NestedInt64(np.Object, "spec", "weight")
			weights[capacityType(np)] = w
		}
		if len(weights) != 2 || weights["spot"] <= weights["on-demand"] || weights["on-demand"] <= 0 {
			t.Errorf("%s: NodePool weights by capacity type %v, want spot above an on-demand fallback", key, weights)
		}
	}
	if checked == 0 || withFallback == 0 {
		t.Fatalf("prod example: %d GPU Model Deployments, %d with a fallback pool; want some of each", checked, withFallback)
	}
}

func obj(u *unstructured.Unstructured) map[string]any {
	if u == nil {
		return nil
	}
	return u.Object
}

func nodePoolNames(d *unstructured.Unstructured) []string {
	terms, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "affinity", "nodeAffinity",
		"requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")
	var out []string
	for _, term := range terms {
		exprs, _, _ := unstructured.NestedSlice(term.(map[string]any), "matchExpressions")
		for _, e := range exprs {
			if e.(map[string]any)["key"] == render.NodePoolLabel {
				vals, _, _ := unstructured.NestedStringSlice(e.(map[string]any), "values")
				out = append(out, vals...)
			}
		}
	}
	return out
}

func spreadKeys(d *unstructured.Unstructured) []string {
	spreads, _, _ := unstructured.NestedSlice(d.Object, "spec", "template", "spec", "topologySpreadConstraints")
	var out []string
	for _, s := range spreads {
		out = append(out, s.(map[string]any)["topologyKey"].(string))
	}
	return out
}

func capacityType(np *unstructured.Unstructured) string {
	reqs, _, _ := unstructured.NestedSlice(np.Object, "spec", "template", "spec", "requirements")
	for _, r := range reqs {
		if r.(map[string]any)["key"] == "karpenter.sh/capacity-type" {
			vals, _, _ := unstructured.NestedStringSlice(r.(map[string]any), "values")
			if len(vals) == 1 {
				return vals[0]
			}
		}
	}
	return ""
}
