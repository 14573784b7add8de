package schema

import (
	"fmt"
	"strings"
)

// validateFallbacks checks routes[].fallbacks: each names another route,
// once, and following fallbacks never comes back to where it started. Each
// cycle is reported once, at the fallback that closes it.
func validateFallbacks(src *Source, rs []Route, routes map[string]int, errs *ErrorList) {
	for i, r := range rs {
		p := fmt.Sprintf("spec.routes[%d].fallbacks", i)
		checkRouteNames(src, p, r.Fallbacks, routes, errs)
		for j, f := range r.Fallbacks {
			if f == r.Name {
				errs.errAt(src, fmt.Sprintf("%s[%d]", p, j), "a route cannot fall back to itself")
			}
		}
	}
	c := cycleFinder{src: src, routes: rs, index: routes, state: make([]int, len(rs)), errs: errs}
	for i := range rs {
		if c.state[i] == unvisited {
			c.visit(i)
		}
	}
}

const (
	unvisited = iota
	onPath
	done
)

// cycleFinder walks the fallback graph depth first; a fallback to a route on
// the current path closes a cycle.
type cycleFinder struct {
	src    *Source
	routes []Route
	index  map[string]int
	state  []int
	path   []int
	errs   *ErrorList
}

func (c *cycleFinder) visit(i int) {
	c.state[i] = onPath
	c.path = append(c.path, i)
	for j, f := range c.routes[i].Fallbacks {
		k, ok := c.index[f]
		if !ok || k == i {
			continue // reported as unknown or as a self-fallback
		}
		switch c.state[k] {
		case unvisited:
			c.visit(k)
		case onPath:
			c.errs.errAt(c.src, fmt.Sprintf("spec.routes[%d].fallbacks[%d]", i, j), "fallbacks form a cycle: %s", c.describe(k))
		}
	}
	c.path = c.path[:len(c.path)-1]
	c.state[i] = done
}

// describe names the cycle from route k, on the current path, back to k.
func (c *cycleFinder) describe(k int) string {
	var names []string
	for n := len(c.path) - 1; n >= 0; n-- {
		if c.path[n] == k {
			for _, i := range c.path[n:] {
				names = append(names, c.routes[i].Name)
			}
			break
		}
	}
	return strings.Join(append(names, c.routes[k].Name), " → ")
}
