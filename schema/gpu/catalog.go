// Package gpu is gitplane's embedded catalog of EC2 GPU instance types: GPU
// model, GPUs per instance, memory per GPU, vCPUs, RAM and on-demand price.
//
// Sources: GPU facts from aws/karpenter-provider-aws
// website/content/en/v1.14/reference/instance-types.md (karpenter.k8s.aws/
// instance-gpu-memory is MiB per GPU as EC2 reports it); on-demand prices
// are us-east-1 Linux list prices in USD per hour as of PriceDate, used to
// order instance types cheapest first. The AWS integration refreshes both.
package gpu

import (
	"cmp"
	"slices"
)

// PriceDate is when the embedded on-demand prices were read.
const PriceDate = "2025-08-01"

// GPU is one accelerator model.
type GPU struct {
	Name      string // karpenter.k8s.aws/instance-gpu-name, lower-case
	MiB       int64  // memory per GPU as EC2 reports it
	NominalGB int64  // memory the GPU is sold with, in GB
}

// The GPUs of the catalog's families.
var (
	T4   = GPU{Name: "t4", MiB: 16384, NominalGB: 16}
	A10G = GPU{Name: "a10g", MiB: 22888, NominalGB: 24}
	L4   = GPU{Name: "l4", MiB: 22888, NominalGB: 24}
	L40S = GPU{Name: "l40s", MiB: 45776, NominalGB: 48}
	A100 = GPU{Name: "a100", MiB: 40960, NominalGB: 40}
	H100 = GPU{Name: "h100", MiB: 81920, NominalGB: 80}
)

// InstanceType is one EC2 instance type with GPUs.
type InstanceType struct {
	Name        string
	Family      string
	GPU         GPU
	GPUs        int32
	VCPU        int32
	MemoryGiB   int64
	OnDemandUSD float64 // per hour, us-east-1, as of PriceDate
}

type size struct {
	suffix    string
	gpus      int32
	vcpu      int32
	memoryGiB int64
	usd       float64
}

func family(name string, g GPU, sizes ...size) []InstanceType {
	out := make([]InstanceType, len(sizes))
	for i, s := range sizes {
		out[i] = InstanceType{Name: name + "." + s.suffix, Family: name, GPU: g, GPUs: s.gpus,
			VCPU: s.vcpu, MemoryGiB: s.memoryGiB, OnDemandUSD: s.usd}
	}
	return out
}

var catalog = sorted(slices.Concat(
	family("g4dn", T4,
		size{"xlarge", 1, 4, 16, 0.526}, size{"2xlarge", 1, 8, 32, 0.752}, size{"4xlarge", 1, 16, 64, 1.204},
		size{"8xlarge", 1, 32, 128, 2.176}, size{"12xlarge", 4, 48, 192, 3.912}, size{"16xlarge", 1, 64, 256, 4.352},
		size{"metal", 8, 96, 384, 7.824}),
	family("g5", A10G,
		size{"xlarge", 1, 4, 16, 1.006}, size{"2xlarge", 1, 8, 32, 1.212}, size{"4xlarge", 1, 16, 64, 1.624},
		size{"8xlarge", 1, 32, 128, 2.448}, size{"12xlarge", 4, 48, 192, 5.672}, size{"16xlarge", 1, 64, 256, 4.096},
		size{"24xlarge", 4, 96, 384, 8.144}, size{"48xlarge", 8, 192, 768, 16.288}),
	family("g6", L4,
		size{"xlarge", 1, 4, 16, 0.8048}, size{"2xlarge", 1, 8, 32, 0.9776}, size{"4xlarge", 1, 16, 64, 1.3232},
		size{"8xlarge", 1, 32, 128, 2.0144}, size{"12xlarge", 4, 48, 192, 4.6016}, size{"16xlarge", 1, 64, 256, 3.3968},
		size{"24xlarge", 4, 96, 384, 6.6752}, size{"48xlarge", 8, 192, 768, 13.3504}),
	family("g6e", L40S,
		size{"xlarge", 1, 4, 32, 1.861}, size{"2xlarge", 1, 8, 64, 2.242}, size{"4xlarge", 1, 16, 128, 3.004},
		size{"8xlarge", 1, 32, 256, 4.529}, size{"12xlarge", 4, 48, 384, 10.493}, size{"16xlarge", 1, 64, 512, 7.577},
		size{"24xlarge", 4, 96, 768, 15.066}, size{"48xlarge", 8, 192, 1536, 30.131}),
	family("p4d", A100, size{"24xlarge", 8, 96, 1152, 21.958}),
	family("p5", H100, size{"4xlarge", 1, 16, 256, 6.880}, size{"48xlarge", 8, 192, 2048, 55.040}),
))

func sorted(types []InstanceType) []InstanceType {
	slices.SortFunc(types, func(a, b InstanceType) int {
		return cmp.Or(cmp.Compare(a.OnDemandUSD, b.OnDemandUSD), cmp.Compare(a.Name, b.Name))
	})
	return types
}

// Types returns the catalog, cheapest on-demand price first.
func Types() []InstanceType { return slices.Clone(catalog) }

// GPUNames lists the GPU names the catalog knows, in catalog order.
func GPUNames() []string { return []string{"t4", "a10g", "l4", "l40s", "a100", "h100"} }

// Request is what one replica needs from a node.
type Request struct {
	NominalGB float64 // memory per GPU, in the GB GPUs are sold with
	GPUs      int32
	GPUName   string // empty: any
	MilliCPU  int64
	MemoryMiB int64
}

// Fits reports whether one replica fits on an instance of type t. The
// allocatable estimate leaves 0.5 vCPU and 10% of RAM plus 1 GiB for the
// kubelet, system daemons and the NVIDIA device plugin.
func (t InstanceType) Fits(r Request) bool {
	return float64(t.GPU.NominalGB) >= r.NominalGB &&
		t.GPUs >= r.GPUs &&
		(r.GPUName == "" || r.GPUName == t.GPU.Name) &&
		int64(t.VCPU)*1000-500 >= r.MilliCPU &&
		t.MemoryGiB*1024*9/10-1024 >= r.MemoryMiB
}

// Fits reports whether a replica fits on some instance type.
func Fits(r Request) bool {
	return slices.ContainsFunc(catalog, func(t InstanceType) bool { return t.Fits(r) })
}

// Match returns the instance types a replica fits on, cheapest first.
func Match(r Request) []InstanceType {
	var out []InstanceType
	for _, t := range catalog {
		if t.Fits(r) {
			out = append(out, t)
		}
	}
	return out
}

// DefaultMaxPriceMultiple is how many times the cheapest fitting type's
// price a NodePool may pay by default.
const DefaultMaxPriceMultiple = 3

// Candidates returns the types of types (cheapest first) a replica may be
// launched on: those it fits on, with no more GPUs than the fewest that fit
// (a 1-GPU replica does not get an 8-GPU p5.48xlarge), and costing at most
// maxPriceMultiple times the cheapest remaining type's on-demand price.
// When spot capacity of the cheap types is short Karpenter launches the
// next cheapest allowed type, so this bounds what a shortage can cost.
func Candidates(types []InstanceType, r Request, maxPriceMultiple float64) []InstanceType {
	var fit []InstanceType
	fewest := int32(0)
	for _, t := range types {
		if t.Fits(r) {
			fit = append(fit, t)
			if fewest == 0 || t.GPUs < fewest {
				fewest = t.GPUs
			}
		}
	}
	var out []InstanceType
	cheapest := 0.0
	for _, t := range fit {
		if t.GPUs == fewest && t.OnDemandUSD > 0 && (cheapest == 0 || t.OnDemandUSD < cheapest) {
			cheapest = t.OnDemandUSD
		}
	}
	for _, t := range fit {
		if t.GPUs != fewest {
			continue
		}
		if maxPriceMultiple > 0 && cheapest > 0 && t.OnDemandUSD > cheapest*maxPriceMultiple {
			continue
		}
		out = append(out, t)
	}
	return out
}
