package preview

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gitplane/gitplane/schema"
)

// The callers a Gateway does not list may use every route at spec.rateLimit.
const (
	othersName = "every other caller"
	allName    = "every caller" // when none is listed
)

// callerFacts says who may call what: for new and removed Gateways each
// listed caller's routes; otherwise, in words, which caller gains or loses
// which route and whose own limit changes.
func (c *SpecChange) callerFacts(b, h *schema.Gateway) {
	if c.Action != SpecUnchanged {
		g := h
		if c.Action == SpecRemoved {
			g = b
		}
		c.Facts = append(c.Facts, Fact{Name: "access", Value: callersText(g)})
		return
	}
	var changes []string
	for _, name := range callerNames(b, h) {
		changes = append(changes, accessChange(name, b, h)...)
	}
	if len(changes) == 0 {
		c.Facts = append(c.Facts, Fact{Name: "access", Value: callersText(h)})
		return
	}
	c.Facts = append(c.Facts, Fact{Name: "access", Value: strings.Join(changes, "; "), Changed: true})
}

// callersText is "team-search: claude, titan (300/min (burst 30)); team-fraud:
// fraud; every other caller: all routes".
func callersText(g *schema.Gateway) string {
	var parts []string
	for _, cl := range g.Spec.Auth.Callers {
		routes := "all routes"
		if cl.Routes != nil {
			routes = strings.Join(cl.Routes, ", ")
		}
		if cl.RateLimit != nil {
			routes += " (" + limitsText(*cl.RateLimit) + ")"
		}
		parts = append(parts, cl.Name+": "+routes)
	}
	return strings.Join(append(parts, others(g, g)+": all routes"), "; ")
}

// others names the callers neither side lists.
func others(b, h *schema.Gateway) string {
	if len(b.Spec.Auth.Callers) == 0 && len(h.Spec.Auth.Callers) == 0 {
		return allName
	}
	return othersName
}

// callerNames lists the callers either side names, sorted, then the
// callers neither names.
func callerNames(b, h *schema.Gateway) []string {
	var names []string
	for _, g := range []*schema.Gateway{b, h} {
		for _, cl := range g.Spec.Auth.Callers {
			if !slices.Contains(names, cl.Name) {
				names = append(names, cl.Name)
			}
		}
	}
	slices.Sort(names)
	return append(names, others(b, h))
}

// policy is a caller's effective routes and its own limit (nil: the
// Gateway's).
func policy(g *schema.Gateway, name string) ([]string, *schema.CallerLimits) {
	for _, cl := range g.Spec.Auth.Callers {
		if cl.Name == name {
			if cl.Routes != nil {
				return cl.Routes, cl.RateLimit
			}
			return routeNames(g), cl.RateLimit
		}
	}
	return routeNames(g), nil
}

func routeNames(g *schema.Gateway) []string {
	out := make([]string, len(g.Spec.Routes))
	for i, r := range g.Spec.Routes {
		out[i] = r.Name
	}
	return out
}

// accessChange is what changes for one caller: "team-search gains claude",
// "team-fraud loses llama and titan", "team-search limit 300/min → 100/min".
// Losing a route the Gateway no longer has is left to the routes fact.
func accessChange(name string, b, h *schema.Gateway) []string {
	br, bl := policy(b, name)
	hr, hl := policy(h, name)
	headRoutes := routeNames(h)
	var gains, losses []string
	for _, r := range hr {
		if !slices.Contains(br, r) {
			gains = append(gains, r)
		}
	}
	for _, r := range br {
		if !slices.Contains(hr, r) && slices.Contains(headRoutes, r) {
			losses = append(losses, r)
		}
	}
	var out []string
	if len(gains) > 0 {
		out = append(out, name+" gains "+andList(gains))
	}
	if len(losses) > 0 {
		out = append(out, name+" loses "+andList(losses))
	}
	if bt, ht := ownLimit(bl), ownLimit(hl); bt != ht {
		out = append(out, fmt.Sprintf("%s limit %s → %s", name, bt, ht))
	}
	return out
}

func ownLimit(l *schema.CallerLimits) string {
	if l == nil {
		return "the Gateway's"
	}
	return limitsText(*l)
}

// andList is "a", "a and b" or "a, b and c".
func andList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
