package aws_test

import (
	"context"
	"fmt"
	"strings"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/schematest"
)

// Example shows the calls a preview makes: a Client from the default
// credential chain (here with --skip-aws, so it makes no calls, prints a
// notice and prices from the embedded catalog), one Check per Environment
// with the base and head revisions, and the PR-comment markdown.
func Example() {
	ctx := context.Background()
	chk := gpaws.New(ctx, gpaws.Options{Skip: true})
	head := exampleRepo("3")
	rep, err := chk.Check(ctx, gpaws.Change{
		Env:     head.Environments[0],
		Objects: llamaSA(), // the head revision's rendered objects
		Base:    exampleRepo("1"),
		Head:    head,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(rep.Markdown())
	// Output:
	// > **Note:** AWS checks skipped (--skip-aws): no IRSA preflight; costs from the embedded catalog
	//
	// #### Estimated GPU cost: staging
	//
	// | Model | Capacity | Instance (price) | Replicas | $/month before | $/month after | Δ $/month (max) | worst case $/h (max) |
	// |---|---|---|---|---:|---:|---:|---:|
	// | models/llama | spot-with-fallback | g6.xlarge (on-demand list price) | 1–1 → 1–3 | $588 | $588–$1,763 | +$1,175 | $6.726 (g6e.2xlarge) |
	// | **Total** | | | | $588 | $588–$1,763 | +$1,175 | |
	//
	// Unchanged Models are not listed. One node per replica, 730 hours a month. Worst case: every replica on the dearest instance type the NodePools allow. Prices: embedded catalog; on-demand: us-east-1 list prices of 2025-08-01; no spot prices (offline).
}

func exampleRepo(maxReplicas string) *schema.Repo {
	files := map[string][]byte{"env.yaml": []byte(envYAML), "m.yaml": []byte(strings.Replace(modelYAML, "%d", maxReplicas, 1))}
	r, err := schematest.Parse(files)
	if err != nil {
		panic(err)
	}
	return r
}
