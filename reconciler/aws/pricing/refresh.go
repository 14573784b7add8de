package pricing

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/gitplane/gitplane/schema/gpu"
)

// Refresh replaces the facts of base's instance types with what
// ec2:DescribeInstanceTypes reports for the region: GPU name, count and
// memory, vCPUs and RAM. Types EC2 does not offer in the region are dropped;
// sizes of the catalog's families that the catalog lacks are added without
// an on-demand price. changes describes every difference, sorted.
func Refresh(ctx context.Context, api ec2.DescribeInstanceTypesAPIClient, base []gpu.InstanceType) ([]gpu.InstanceType, []string, error) {
	live, err := describeFamilies(ctx, api, families(base))
	if err != nil {
		return nil, nil, err
	}
	known := map[string]gpu.InstanceType{}
	for _, t := range base {
		known[t.Name] = t
	}
	var out []gpu.InstanceType
	var changes []string
	for _, info := range live {
		t, ok := fromEC2(info, known)
		if !ok {
			continue
		}
		if old, had := known[t.Name]; !had {
			changes = append(changes, fmt.Sprintf("%s: offered by EC2, not in the embedded catalog (no on-demand price)", t.Name))
		} else if d := diffFacts(old, t); d != "" {
			changes = append(changes, t.Name+": "+d)
		}
		delete(known, t.Name)
		out = append(out, t)
	}
	for name := range known {
		changes = append(changes, name+": not offered in this region")
	}
	slices.Sort(changes)
	return sortByOnDemand(out), changes, nil
}

func families(types []gpu.InstanceType) []string {
	var out []string
	for _, t := range types {
		if !slices.Contains(out, t.Family+".*") {
			out = append(out, t.Family+".*")
		}
	}
	return out
}

func describeFamilies(ctx context.Context, api ec2.DescribeInstanceTypesAPIClient, patterns []string) ([]ec2types.InstanceTypeInfo, error) {
	in := &ec2.DescribeInstanceTypesInput{
		Filters: []ec2types.Filter{{Name: aws.String("instance-type"), Values: patterns}},
	}
	var out []ec2types.InstanceTypeInfo
	pages := ec2.NewDescribeInstanceTypesPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describing EC2 instance types %s: %w", strings.Join(patterns, ","), err)
		}
		out = append(out, page.InstanceTypes...)
	}
	return out, nil
}

// fromEC2 converts an EC2 description; instance types without GPUs are skipped.
func fromEC2(info ec2types.InstanceTypeInfo, known map[string]gpu.InstanceType) (gpu.InstanceType, bool) {
	if info.GpuInfo == nil || len(info.GpuInfo.Gpus) == 0 {
		return gpu.InstanceType{}, false
	}
	dev := info.GpuInfo.Gpus[0]
	name := string(info.InstanceType)
	t := known[name]
	t.Name = name
	t.Family, _, _ = strings.Cut(name, ".")
	t.GPUs = aws.ToInt32(dev.Count)
	if info.VCpuInfo != nil {
		t.VCPU = aws.ToInt32(info.VCpuInfo.DefaultVCpus)
	}
	if info.MemoryInfo != nil {
		t.MemoryGiB = aws.ToInt64(info.MemoryInfo.SizeInMiB) / 1024
	}
	t.GPU = gpuFor(strings.ToLower(aws.ToString(dev.Name)), dev.MemoryInfo)
	return t, true
}

// gpuFor keeps the catalog's nominal size for known GPUs (EC2's MiB are not
// consistently the marketing GB) and takes EC2's MiB as reported.
func gpuFor(name string, mem *ec2types.GpuDeviceMemoryInfo) gpu.GPU {
	g := gpu.GPU{Name: name}
	for _, k := range []gpu.GPU{gpu.T4, gpu.A10G, gpu.L4, gpu.L40S, gpu.A100, gpu.H100} {
		if k.Name == name {
			g = k
		}
	}
	if mem != nil && mem.SizeInMiB != nil {
		g.MiB = int64(*mem.SizeInMiB)
	}
	if g.NominalGB == 0 {
		g.NominalGB = g.MiB / 1024
	}
	return g
}

func diffFacts(old, cur gpu.InstanceType) string {
	var d []string
	if old.GPU.Name != cur.GPU.Name || old.GPU.MiB != cur.GPU.MiB {
		d = append(d, fmt.Sprintf("GPU %s %d MiB → %s %d MiB", old.GPU.Name, old.GPU.MiB, cur.GPU.Name, cur.GPU.MiB))
	}
	if old.GPUs != cur.GPUs {
		d = append(d, fmt.Sprintf("GPUs %d → %d", old.GPUs, cur.GPUs))
	}
	if old.VCPU != cur.VCPU || old.MemoryGiB != cur.MemoryGiB {
		d = append(d, fmt.Sprintf("%d vCPU %d GiB → %d vCPU %d GiB", old.VCPU, old.MemoryGiB, cur.VCPU, cur.MemoryGiB))
	}
	return strings.Join(d, ", ")
}
