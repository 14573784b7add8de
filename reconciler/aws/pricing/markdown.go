package pricing

import (
	"fmt"
	"strings"
)

// Markdown renders a cost change as the PR-comment section: per Model the
// instance type and $/month at min–max replicas before → after, and the
// Environment's total.
func (c CostChange) Markdown(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#### Estimated GPU cost: %s\n\n", c.Env)
	b.WriteString("| Model | Capacity | Instance (price) | Replicas | $/month before | $/month after | Δ $/month (max) | worst case $/h (max) |\n")
	b.WriteString("|---|---|---|---|---:|---:|---:|---:|\n")
	for _, m := range c.Models {
		if !m.Changed() {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", m.Key, capacity(m), instance(m),
			replicas(m), monthly(m.Before), monthly(m.After), delta(expected(m.Before).MonthlyMax, expected(m.After).MonthlyMax), worst(m.After))
	}
	fmt.Fprintf(&b, "| **Total** | | | | %s | %s | %s | |\n\n", span(c.Before), span(c.After), delta(c.Before.MonthlyMax, c.After.MonthlyMax))
	fmt.Fprintf(&b, "Unchanged Models are not listed. One node per replica, %d hours a month. "+
		"Worst case: every replica on the dearest instance type the NodePools allow. Prices: %s.\n", HoursPerMonth, source)
	return b.String()
}

// Text renders one Environment's estimate for the terminal.
func (e EnvironmentCost) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Environment %s: %s per month (min–max replicas)\n", e.Env, span(e.Total))
	for _, m := range e.Models {
		fmt.Fprintf(&b, "\n%s (%s, replicas %d–%d)\n", m.Key(), m.Capacity, m.Replicas.Min, m.Replicas.Max)
		if m.Note != "" {
			fmt.Fprintf(&b, "  %s\n", m.Note)
		}
		if m.Expected.InstanceType != "" {
			fmt.Fprintf(&b, "  expected  %-14s %s/h  %s/month  (%s)\n", m.Expected.InstanceType, hourly(m.Expected), span(m.Expected), m.Basis)
		}
		if m.Worst.InstanceType != "" {
			fmt.Fprintf(&b, "  worst     %-14s %s/h at max replicas\n", m.Worst.InstanceType, usd(m.Worst.HourlyMax))
		}
		if m.Spot.InstanceType != "" {
			fmt.Fprintf(&b, "  spot      %-14s %s/h  %s/month\n", m.Spot.InstanceType, hourly(m.Spot), span(m.Spot))
		}
		if m.OnDemand.InstanceType != "" {
			fmt.Fprintf(&b, "  on-demand %-14s %s/h  %s/month\n", m.OnDemand.InstanceType, hourly(m.OnDemand), span(m.OnDemand))
		}
		for _, o := range m.Options {
			fmt.Fprintf(&b, "    %-14s %d×%-5s on-demand %s  spot %s %s\n", o.InstanceType, o.GPUs, o.GPU, perHour(o.OnDemandUSD), perHour(o.SpotUSD), o.SpotAZ)
		}
	}
	fmt.Fprintf(&b, "\nPrices: %s.\n", e.Source)
	return b.String()
}

func expected(m *ModelCost) Cost {
	if m == nil {
		return Cost{}
	}
	return m.Expected
}

func capacity(m ModelChange) string {
	return pair(m, func(c *ModelCost) string { return c.Capacity })
}

func instance(m ModelChange) string {
	return pair(m, func(c *ModelCost) string {
		if c.Expected.InstanceType == "" {
			return "—"
		}
		return c.Expected.InstanceType + " (" + c.Basis + ")"
	})
}

// worst is the after side's worst-case hourly cost at max replicas.
func worst(m *ModelCost) string {
	if m == nil || m.Worst.InstanceType == "" {
		return "—"
	}
	return usd(m.Worst.HourlyMax) + " (" + m.Worst.InstanceType + ")"
}

func replicas(m ModelChange) string {
	return pair(m, func(c *ModelCost) string { return fmt.Sprintf("%d–%d", c.Replicas.Min, c.Replicas.Max) })
}

// pair shows "before → after", or one value when both sides agree.
func pair(m ModelChange, f func(*ModelCost) string) string {
	b, a := "—", "—"
	if m.Before != nil {
		b = f(m.Before)
	}
	if m.After != nil {
		a = f(m.After)
	}
	if a == b {
		return a
	}
	return b + " → " + a
}

func monthly(m *ModelCost) string {
	switch {
	case m == nil:
		return "—"
	case m.Expected.InstanceType == "":
		return "n/a"
	}
	return span(m.Expected)
}

func span(c Cost) string {
	if c.MonthlyMin == c.MonthlyMax {
		return usd(c.MonthlyMax)
	}
	return usd(c.MonthlyMin) + "–" + usd(c.MonthlyMax)
}

// perHour shows an hourly price, or "—" when it is unknown.
func perHour(v float64) string {
	if v == 0 {
		return "—"
	}
	return usd(v) + "/h"
}

func hourly(c Cost) string {
	if c.HourlyMin == c.HourlyMax {
		return usd(c.HourlyMax)
	}
	return usd(c.HourlyMin) + "–" + usd(c.HourlyMax)
}

func delta(before, after float64) string {
	d := after - before
	switch {
	case d > 0.005:
		return "+" + usd(d)
	case d < -0.005:
		return "−" + usd(-d)
	}
	return usd(0)
}

func usd(v float64) string {
	if v == 0 {
		return "$0"
	}
	if v < 10 {
		return fmt.Sprintf("$%.4g", v)
	}
	return "$" + thousands(fmt.Sprintf("%.0f", v))
}

func thousands(s string) string {
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
