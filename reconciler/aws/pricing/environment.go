package pricing

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/gitplane/gitplane/schema"
)

// EnvironmentCost is the estimate of every Model of one Environment.
type EnvironmentCost struct {
	Env    string
	Models []ModelCost // sorted by namespace/name
	Total  Cost        // sum of the Models' expected costs
	Source string
}

// Environment estimates every Model of a validated repository that goes to
// the Environment envName.
func Environment(repo *schema.Repo, envName string, p *Prices) (EnvironmentCost, error) {
	i := slices.IndexFunc(repo.Environments, func(e *schema.Environment) bool { return e.Metadata.Name == envName })
	if i < 0 {
		return EnvironmentCost{}, fmt.Errorf("estimating cost: no Environment %q", envName)
	}
	env := repo.Environments[i]
	out := EnvironmentCost{Env: envName, Source: p.Source}
	for _, m := range repo.Models {
		if !schema.InEnvironment(m.Spec.Environments, envName) {
			continue
		}
		c, err := Estimate(m, env, p)
		if err != nil {
			return EnvironmentCost{}, err
		}
		out.Models = append(out.Models, c)
		out.Total = add(out.Total, c.Expected)
	}
	slices.SortFunc(out.Models, func(a, b ModelCost) int { return cmp.Compare(a.Key(), b.Key()) })
	return out, nil
}

func add(a, b Cost) Cost {
	return Cost{
		HourlyMin: a.HourlyMin + b.HourlyMin, HourlyMax: a.HourlyMax + b.HourlyMax,
		MonthlyMin: a.MonthlyMin + b.MonthlyMin, MonthlyMax: a.MonthlyMax + b.MonthlyMax,
	}
}

// ModelChange is one Model's cost before and after a change; nil means the
// Model does not exist on that side.
type ModelChange struct {
	Key           string
	Before, After *ModelCost
}

// Changed reports whether the expected cost or instance type differs.
func (c ModelChange) Changed() bool {
	if c.Before == nil || c.After == nil {
		return true
	}
	return c.Before.Expected != c.After.Expected
}

// CostChange compares an Environment's cost before and after a change.
type CostChange struct {
	Env           string
	Before, After Cost
	Models        []ModelChange // every Model on either side, by key
}

// Compare lines up the Models of two estimates of the same Environment.
func Compare(before, after EnvironmentCost) CostChange {
	out := CostChange{Env: after.Env, Before: before.Total, After: after.Total}
	byKey := map[string]*ModelChange{}
	var keys []string
	get := func(key string) *ModelChange {
		if c, ok := byKey[key]; ok {
			return c
		}
		byKey[key] = &ModelChange{Key: key}
		keys = append(keys, key)
		return byKey[key]
	}
	for i := range before.Models {
		get(before.Models[i].Key()).Before = &before.Models[i]
	}
	for i := range after.Models {
		get(after.Models[i].Key()).After = &after.Models[i]
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Models = append(out.Models, *byKey[k])
	}
	return out
}
