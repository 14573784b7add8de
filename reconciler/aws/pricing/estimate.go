package pricing

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gitplane/gitplane/schema"
	"github.com/gitplane/gitplane/schema/gpu"
)

// HoursPerMonth is the month estimates use (365 × 24 / 12).
const HoursPerMonth = 730

// Option is one instance type a replica fits on, with its prices per hour.
type Option struct {
	InstanceType string
	GPU          string
	GPUs         int32
	OnDemandUSD  float64 // 0: unknown
	SpotUSD      float64 // 0: unknown
	SpotAZ       string
}

// Cost is a price at the minimum and maximum replica counts.
type Cost struct {
	HourlyMin, HourlyMax   float64
	MonthlyMin, MonthlyMax float64
	InstanceType           string // the type the cost assumes; empty: none priced
}

// ModelCost is a Model's estimate in one Environment. Each replica is
// assumed to get a node of its own (the rendered topology spread prefers one
// replica per node), of the cheapest type it fits on.
type ModelCost struct {
	Namespace, Name string
	Capacity        string // spot, on-demand or spot-with-fallback
	Replicas        schema.Replicas
	Options         []Option // cheapest first for the capacity type
	Expected        Cost     // what the capacity type should cost
	Spot            Cost     // all spot
	OnDemand        Cost     // all on-demand
	// Worst is the most the NodePools may cost at max replicas: every node
	// of the dearest type they allow (at its spot price where spot is asked
	// for and priced, else on-demand), e.g. when spot capacity of the
	// cheap types is short.
	Worst Cost
	// Basis says which price Expected and Worst are: "spot",
	// "on-demand" or, for spot capacity with no spot prices known (offline),
	// "on-demand list price".
	Basis string
	Note  string // why there is no estimate, if there is none
}

// Key is namespace/name.
func (c ModelCost) Key() string { return c.Namespace + "/" + c.Name }

// Estimate prices one Model in env.
func Estimate(m *schema.Model, env *schema.Environment, p *Prices) (ModelCost, error) {
	c := ModelCost{
		Namespace: m.Metadata.Namespace, Name: m.Metadata.Name,
		Capacity: m.EffectiveCapacity(env), Replicas: m.EffectiveReplicas(env),
	}
	if m.Spec.Resources.GPU == nil {
		c.Note = "CPU only: runs on the cluster's existing nodes, not estimated"
		return c, nil
	}
	req, err := schema.GPURequestFor(m.Spec.Resources)
	if err != nil {
		return c, fmt.Errorf("estimating Model %s: %w", c.Key(), err)
	}
	c.Options = options(req, p, float64(env.Spec.Nodes.MaxPriceMultiple))
	if len(c.Options) == 0 {
		c.Note = "no instance type in the catalog fits one replica"
		return c, nil
	}
	c.Spot = cheapest(c.Options, c.Replicas, func(o Option) float64 { return o.SpotUSD })
	c.OnDemand = cheapest(c.Options, c.Replicas, func(o Option) float64 { return o.OnDemandUSD })
	expected := expectedPrice(c.Capacity)
	c.Expected = cheapest(c.Options, c.Replicas, expected)
	c.Worst = dearest(c.Options, c.Replicas, expected)
	c.Basis = basis(c.Capacity, c.Options, c.Expected.InstanceType)
	slices.SortStableFunc(c.Options, func(a, b Option) int { return cmp.Compare(priceOrMax(expected(a)), priceOrMax(expected(b))) })
	if c.Expected.InstanceType == "" {
		c.Note = "no price known for any fitting instance type"
	}
	return c, nil
}

// expectedPrice is the hourly price a capacity type pays: spot when spot is
// asked for and priced, else on-demand.
func expectedPrice(capacity string) func(Option) float64 {
	if capacity == schema.CapacityOnDemand {
		return func(o Option) float64 { return o.OnDemandUSD }
	}
	return func(o Option) float64 { return cmp.Or(o.SpotUSD, o.OnDemandUSD) }
}

// basis names the price the expected cost is: spot only where a spot
// price of the chosen type is known.
func basis(capacity string, opts []Option, chosen string) string {
	if capacity == schema.CapacityOnDemand {
		return "on-demand"
	}
	i := slices.IndexFunc(opts, func(o Option) bool { return o.InstanceType == chosen })
	if i >= 0 && opts[i].SpotUSD > 0 {
		return "spot"
	}
	return "on-demand list price"
}

// options are the instance types the Model's NodePools allow (the same
// bound render applies: fewest GPUs that fit, at most maxPriceMultiple
// times the cheapest), with their prices.
func options(req gpu.Request, p *Prices, maxPriceMultiple float64) []Option {
	var out []Option
	for _, t := range gpu.Candidates(p.Types, req, maxPriceMultiple) {
		sp := p.Spot[t.Name]
		out = append(out, Option{InstanceType: t.Name, GPU: t.GPU.Name, GPUs: t.GPUs,
			OnDemandUSD: t.OnDemandUSD, SpotUSD: sp.USD, SpotAZ: sp.AZ})
	}
	return out
}

// cheapest prices the replica range on the cheapest option with a known price.
func cheapest(opts []Option, r schema.Replicas, price func(Option) float64) Cost {
	return priced(opts, r, price, func(a, b float64) bool { return a < b })
}

// dearest prices the replica range on the dearest option with a known price.
func dearest(opts []Option, r schema.Replicas, price func(Option) float64) Cost {
	return priced(opts, r, price, func(a, b float64) bool { return a > b })
}

// priced prices the replica range on the option whose known price beats
// every other's.
func priced(opts []Option, r schema.Replicas, price func(Option) float64, beats func(a, b float64) bool) Cost {
	var best *Option
	for i := range opts {
		if p := price(opts[i]); p > 0 && (best == nil || beats(p, price(*best))) {
			best = &opts[i]
		}
	}
	if best == nil {
		return Cost{}
	}
	h := price(*best)
	return Cost{
		InstanceType: best.InstanceType,
		HourlyMin:    h * float64(r.Min), HourlyMax: h * float64(r.Max),
		MonthlyMin: h * float64(r.Min) * HoursPerMonth, MonthlyMax: h * float64(r.Max) * HoursPerMonth,
	}
}
