package cli

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"

	gpaws "github.com/gitplane/gitplane/reconciler/aws"
	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
	"github.com/gitplane/gitplane/schema"
)

// TestServeEnginesPerCluster: serve keeps one connection per cluster (name,
// region, account), not per Environment name: two Environments on one
// cluster share it, and an Environment whose cluster was renamed gets a
// connection to the new one.
func TestServeEnginesPerCluster(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	t.Cleanup(tlsSrv.Close)
	ca := base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw}))
	fake := awstest.NewEKS(t,
		awstest.Cluster{Name: "ml-staging", Endpoint: "https://blue.eks.example", CAData: ca},
		awstest.Cluster{Name: "ml-staging-green", Endpoint: "https://green.eks.example", CAData: ca})
	engines := newEKSEngines(gpaws.NewWithConfig(awstest.Config("us-east-1"), gpaws.WithEKSOptions(eksauth.WithEKSOptions(fake.Options))))
	t.Cleanup(engines.close)
	env := func(name, cluster, region string) *schema.Environment {
		e := &schema.Environment{}
		e.Metadata.Name = name
		e.Spec.Cluster = schema.ClusterSpec{Name: cluster, Region: region, AccountID: "111122223333"}
		return e
	}
	ctx := context.Background()
	connect := func(e *schema.Environment) any {
		t.Helper()
		eng, err := engines.connect(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return eng
	}
	staging := connect(env("staging", "ml-staging", "us-east-1"))
	if again := connect(env("staging-canary", "ml-staging", "us-east-1")); again != staging {
		t.Error("two Environments on one cluster got two connections")
	}
	if n := fake.Calls("DescribeCluster"); n != 1 {
		t.Errorf("DescribeCluster called %d times for one cluster, want 1", n)
	}
	if renamed := connect(env("staging", "ml-staging-green", "us-east-1")); renamed == staging {
		t.Error("staging renamed to cluster ml-staging-green kept the connection to ml-staging")
	}
	if n := fake.Calls("DescribeCluster"); n != 2 {
		t.Errorf("DescribeCluster called %d times for two clusters, want 2", n)
	}
	if other := connect(env("staging", "ml-staging", "eu-west-1")); other == staging {
		t.Error("a cluster of the same name in another region shares the connection")
	}
}
