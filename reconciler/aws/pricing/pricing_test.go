package pricing_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	testingclock "k8s.io/utils/clock/testing"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/pricing"
	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/gpu"
	"github.com/gitplane/gitplane/schema/schematest"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// ec2Types mirrors the embedded catalog as EC2 reports it, minus two types
// the region does not offer, plus a p5e type outside the catalog's families.
func ec2Types() []awstest.InstanceType {
	var out []awstest.InstanceType
	for _, t := range gpu.Types() {
		if t.Name == "g6.48xlarge" || t.Name == "p4d.24xlarge" {
			continue
		}
		out = append(out, awstest.InstanceType{Name: t.Name, GPUName: strings.ToUpper(t.GPU.Name), GPUs: t.GPUs,
			GPUMiB: t.GPU.MiB, VCPU: t.VCPU, MemoryMiB: t.MemoryGiB * 1024})
	}
	return append(out, awstest.InstanceType{Name: "p5e.48xlarge", GPUName: "H200", GPUs: 8, GPUMiB: 144384, VCPU: 192, MemoryMiB: 2048 * 1024})
}

func ec2Spot() []awstest.SpotPrice {
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	return []awstest.SpotPrice{
		{InstanceType: "g6.xlarge", AZ: "us-east-1a", USD: "0.4500", Time: at(2 * time.Hour)},
		{InstanceType: "g6.xlarge", AZ: "us-east-1a", USD: "0.4000", Time: at(30 * time.Minute)},
		{InstanceType: "g6.xlarge", AZ: "us-east-1b", USD: "0.4200", Time: at(time.Hour)},
		{InstanceType: "g5.xlarge", AZ: "us-east-1a", USD: "0.3600", Time: at(10 * time.Minute)},
		{InstanceType: "g5.xlarge", AZ: "us-east-1c", USD: "0.3300", Time: at(5 * time.Hour)},
		{InstanceType: "g5.xlarge", AZ: "us-east-1c", USD: "0.1000", Time: at(time.Hour), Product: "Windows"},
		{InstanceType: "g4dn.xlarge", AZ: "us-east-1a", USD: "0.2000", Time: at(time.Hour)},
		{InstanceType: "g5.2xlarge", AZ: "us-east-1a", USD: "0.4500", Time: at(time.Hour)},
	}
}

func livePrices(t *testing.T, fake *awstest.EC2) *pricing.Prices {
	t.Helper()
	client := ec2.NewFromConfig(awstest.Config("us-east-1"), fake.Options)
	p, err := pricing.Live(context.Background(), client, pricing.LiveOptions{Clock: testingclock.NewFakeClock(now)})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestLive refreshes the catalog from the fake EC2 (paged three types at a
// time, after two throttled answers) and reads the latest spot price per zone.
func TestLive(t *testing.T) {
	fake := awstest.NewEC2(t, ec2Types(), ec2Spot())
	fake.Throttle(2)
	p := livePrices(t, fake)

	if calls := fake.Calls("DescribeInstanceTypes"); calls != 2+(len(gpu.Types())-2+2)/3 {
		t.Errorf("DescribeInstanceTypes called %d times, want 2 throttled + one per page of 3", calls)
	}
	names := map[string]bool{}
	for _, it := range p.Types {
		names[it.Name] = true
	}
	if names["g6.48xlarge"] || names["p4d.24xlarge"] || names["p5e.48xlarge"] || !names["g5.xlarge"] || len(names) != len(gpu.Types())-2 {
		t.Errorf("refreshed types %v: want the catalog minus g6.48xlarge and p4d.24xlarge", names)
	}
	wantChanges := []string{"g6.48xlarge: not offered in this region", "p4d.24xlarge: not offered in this region"}
	if strings.Join(p.Changes, "\n") != strings.Join(wantChanges, "\n") {
		t.Errorf("changes %q, want %q", p.Changes, wantChanges)
	}
	tests := []struct {
		typ, az string
		usd     float64
		zones   int
	}{
		{"g6.xlarge", "us-east-1a", 0.40, 2}, // the newer of two 1a records
		{"g5.xlarge", "us-east-1c", 0.33, 2}, // old but still in effect; Windows ignored
		{"g4dn.xlarge", "us-east-1a", 0.20, 1},
	}
	for _, tc := range tests {
		sp := p.Spot[tc.typ]
		if sp.AZ != tc.az || sp.USD != tc.usd || len(sp.ByAZ) != tc.zones {
			t.Errorf("spot %s = %+v, want %v in %s over %d zones", tc.typ, sp, tc.usd, tc.az, tc.zones)
		}
	}
	if _, ok := p.Spot["g6e.xlarge"]; ok {
		t.Error("spot price for g6e.xlarge, which has no history")
	}
}

func parseRepo(t *testing.T, models string) *schema.Repo {
	t.Helper()
	repo, err := schematest.Parse(map[string][]byte{"env.yaml": []byte(envYAML), "models.yaml": []byte(models)})
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

const envYAML = `apiVersion: gitplane.dev/v1alpha1
kind: Environment
metadata: {name: staging}
spec:
  cluster: {name: ml-staging, region: us-east-1, accountId: "111122223333", oidcIssuer: "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"}
  ingress: {certificateArn: "arn:aws:acm:us-east-1:111122223333:certificate/11111111-2222-3333-4444-555555555555", domain: ml.example.com}
  nodes: {role: KarpenterNodeRole, subnetSelector: {a: b}, securityGroupSelector: {a: b}}
`

func model(name, capacity, gpuMem string, min, max int) string {
	return `---
apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: ` + name + `}
spec:
  image: vllm/vllm-openai:v0.6.3
  capacity: ` + capacity + `
  replicas: {min: ` + itoa(min) + `, max: ` + itoa(max) + `}
  resources: {gpu: {memory: ` + gpuMem + `}, cpu: "2", memory: 8Gi}
`
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestEstimatePicksCheapestSatisfying checks that spot capacity takes the
// cheapest spot price among the types that fit (g5.xlarge at $0.33, though
// g6.xlarge is cheaper on demand) and on-demand capacity the cheapest
// on-demand one, and the $/month at min and max replicas.
func TestEstimatePicksCheapestSatisfying(t *testing.T) {
	p := livePrices(t, awstest.NewEC2(t, ec2Types(), ec2Spot()))
	repo := parseRepo(t, model("spot-llama", "spot-with-fallback", "24G", 1, 3)+model("od-llama", "on-demand", "24Gi", 2, 2))
	cost, err := pricing.Environment(repo, "staging", p)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]pricing.ModelCost{}
	for _, m := range cost.Models {
		byKey[m.Key()] = m
	}
	tests := []struct {
		key, expected, spot, onDemand string
		monthlyMin, monthlyMax        float64
	}{
		{"models/spot-llama", "g5.xlarge", "g5.xlarge", "g6.xlarge", 0.33 * 730, 3 * 0.33 * 730},
		{"models/od-llama", "g6.xlarge", "g5.xlarge", "g6.xlarge", 2 * 0.8048 * 730, 2 * 0.8048 * 730},
	}
	var total float64
	for _, tc := range tests {
		m := byKey[tc.key]
		if m.Expected.InstanceType != tc.expected || m.Spot.InstanceType != tc.spot || m.OnDemand.InstanceType != tc.onDemand {
			t.Errorf("%s: expected/spot/on-demand on %s/%s/%s, want %s/%s/%s", tc.key,
				m.Expected.InstanceType, m.Spot.InstanceType, m.OnDemand.InstanceType, tc.expected, tc.spot, tc.onDemand)
		}
		if !near(m.Expected.MonthlyMin, tc.monthlyMin) || !near(m.Expected.MonthlyMax, tc.monthlyMax) {
			t.Errorf("%s: $/month %.2f–%.2f, want %.2f–%.2f", tc.key, m.Expected.MonthlyMin, m.Expected.MonthlyMax, tc.monthlyMin, tc.monthlyMax)
		}
		if m.Options[0].InstanceType != tc.expected {
			t.Errorf("%s: first option %s, want the cheapest %s", tc.key, m.Options[0].InstanceType, tc.expected)
		}
		for _, o := range m.Options {
			if o.GPU == "t4" {
				t.Errorf("%s: option %s has a 16 GB T4, too small for 24 GB", tc.key, o.InstanceType)
			}
		}
		total += tc.monthlyMax
	}
	if !near(cost.Total.MonthlyMax, total) {
		t.Errorf("total max $/month %.2f, want %.2f", cost.Total.MonthlyMax, total)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

// TestOfflineEstimate uses the embedded catalog: no spot prices, so every
// capacity type is priced on demand, and CPU-only Models are not estimated.
func TestOfflineEstimate(t *testing.T) {
	repo := parseRepo(t, model("llama", "spot", "24G", 1, 2)+`---
apiVersion: gitplane.dev/v1alpha1
kind: Model
metadata: {name: embedder}
spec:
  image: ghcr.io/example/embedder:1
  resources: {cpu: "2", memory: 4Gi}
`)
	cost, err := pricing.Environment(repo, "staging", pricing.Offline())
	if err != nil {
		t.Fatal(err)
	}
	emb, llama := cost.Models[0], cost.Models[1]
	if emb.Name != "embedder" || emb.Note == "" || emb.Expected != (pricing.Cost{}) {
		t.Errorf("CPU-only model: %+v, want a note and no cost", emb)
	}
	if llama.Expected.InstanceType != "g6.xlarge" || !near(llama.Expected.MonthlyMax, 2*0.8048*730) || llama.Spot.InstanceType != "" {
		t.Errorf("offline llama: %+v, want g6.xlarge on demand, no spot", llama)
	}
}
