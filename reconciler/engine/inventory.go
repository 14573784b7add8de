package engine

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Inventory is the set of objects gitplane has applied to one Environment.
// It is what prune may delete: nothing outside it is ever deleted. The
// functions on it are pure; inventory_store.go reads and writes it.
type Inventory struct {
	refs     map[ID]Ref
	observed map[ID]Observed
	// resourceVersion is the stored ConfigMap's, as read or last written
	// ("" when none exists): writes are conditional on it.
	resourceVersion string
}

// Observed is what an object looked like right after gitplane last applied
// it. An object whose generation (for kinds that keep one) or
// resourceVersion is still the same has not been changed since, so a sync
// need not read its body to know it is unchanged.
type Observed struct {
	ResourceVersion string
	Generation      int64
}

// NewInventory returns an inventory holding refs.
func NewInventory(refs ...Ref) Inventory {
	inv := Inventory{refs: make(map[ID]Ref, len(refs)), observed: map[ID]Observed{}}
	for _, r := range refs {
		inv.refs[r.ID()] = r
	}
	return inv
}

// Observed returns what was recorded of the object after its last apply.
func (inv Inventory) Observed(r Ref) (Observed, bool) {
	o, ok := inv.observed[r.ID()]
	return o, ok
}

// WithObserved returns a copy of the inventory that holds ref with what was
// observed of it.
func (inv Inventory) WithObserved(obs map[ID]Observed) Inventory {
	out := inv.clone()
	for id, o := range obs {
		if _, ok := out.refs[id]; ok {
			out.observed[id] = o
		}
	}
	return out
}

// Len is the number of objects in the inventory.
func (inv Inventory) Len() int { return len(inv.refs) }

// Has reports whether the inventory holds the object.
func (inv Inventory) Has(r Ref) bool {
	_, ok := inv.refs[r.ID()]
	return ok
}

// Refs returns the inventory's refs in apply order.
func (inv Inventory) Refs() []Ref {
	out := make([]Ref, 0, len(inv.refs))
	for _, r := range inv.refs {
		out = append(out, r)
	}
	sortRefs(out)
	return out
}

// Union returns the objects in either inventory; b's versions and
// observations win.
func (inv Inventory) Union(b Inventory) Inventory {
	out := inv.clone()
	for id, r := range b.refs {
		out.refs[id] = r
		if o, ok := b.observed[id]; ok {
			out.observed[id] = o
		}
	}
	return out
}

// clone copies the inventory.
func (inv Inventory) clone() Inventory {
	out := Inventory{refs: maps.Clone(inv.refs), observed: maps.Clone(inv.observed), resourceVersion: inv.resourceVersion}
	if out.refs == nil {
		out.refs = map[ID]Ref{}
	}
	if out.observed == nil {
		out.observed = map[ID]Observed{}
	}
	return out
}

// without returns a copy without the given objects.
func (inv Inventory) without(refs []Ref) Inventory {
	out := inv.clone()
	for _, r := range refs {
		delete(out.refs, r.ID())
		delete(out.observed, r.ID())
	}
	return out
}

// Minus returns the objects in inv that are not in b: what left Git.
func (inv Inventory) Minus(b Inventory) []Ref {
	var out []Ref
	for id, r := range inv.refs {
		if _, ok := b.refs[id]; !ok {
			out = append(out, r)
		}
	}
	sortRefs(out)
	return out
}

// Equal reports whether both hold the same objects at the same versions,
// with the same observations (wherever they are stored).
func (inv Inventory) Equal(b Inventory) bool {
	if len(inv.refs) != len(b.refs) || len(inv.observed) != len(b.observed) {
		return false
	}
	for id, r := range inv.refs {
		if b.refs[id] != r {
			return false
		}
	}
	for id, o := range inv.observed {
		if bo, ok := b.observed[id]; !ok || bo != o {
			return false
		}
	}
	return true
}

// compressAbove is the encoded size from which the inventory is stored
// gzipped: a ConfigMap holds at most 1 MiB, and 8000 refs take ~0.5 MiB raw.
const compressAbove = 256 << 10

// Encode serialises the inventory: one ref per line in apply order, gzipped
// when large. compressed tells which form was written.
func (inv Inventory) Encode() (data []byte, compressed bool, err error) {
	var buf bytes.Buffer
	for _, r := range inv.Refs() {
		buf.WriteString(r.encode())
		if o, ok := inv.observed[r.ID()]; ok {
			fmt.Fprintf(&buf, "|%s|%d", o.ResourceVersion, o.Generation)
		}
		buf.WriteByte('\n')
	}
	if buf.Len() <= compressAbove {
		return buf.Bytes(), false, nil
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, false, fmt.Errorf("compressing inventory: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, false, fmt.Errorf("compressing inventory: %w", err)
	}
	return z.Bytes(), true, nil
}

// DecodeInventory reads what Encode wrote.
func DecodeInventory(data []byte, compressed bool) (Inventory, error) {
	var r io.Reader = bytes.NewReader(data)
	if compressed {
		z, err := gzip.NewReader(r)
		if err != nil {
			return Inventory{}, fmt.Errorf("decompressing inventory: %w", err)
		}
		defer z.Close()
		r = z
	}
	inv := NewInventory()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ref, obs, err := decodeLine(line)
		if err != nil {
			return Inventory{}, fmt.Errorf("inventory line %d: %w", n, err)
		}
		inv.refs[ref.ID()] = ref
		if obs != nil {
			inv.observed[ref.ID()] = *obs
		}
	}
	if err := sc.Err(); err != nil {
		return Inventory{}, fmt.Errorf("reading inventory: %w", err)
	}
	return inv, nil
}

// decodeLine reads group|version|kind|namespace|name, optionally followed by
// |resourceVersion|generation.
func decodeLine(line string) (Ref, *Observed, error) {
	f := strings.Split(line, "|")
	if len(f) != 7 {
		ref, err := decodeRef(line)
		return ref, nil, err
	}
	ref, err := decodeRef(strings.Join(f[:5], "|"))
	if err != nil {
		return Ref{}, nil, err
	}
	gen, err := strconv.ParseInt(f[6], 10, 64)
	if err != nil {
		return Ref{}, nil, fmt.Errorf("malformed generation in inventory entry %q", line)
	}
	return ref, &Observed{ResourceVersion: f[5], Generation: gen}, nil
}

// newestObserved returns, per kind, the highest resourceVersion gitplane saw
// when it last applied objects of that kind. A cached list older than that
// has not caught up with gitplane's own writes.
func (inv Inventory) newestObserved() map[schema.GroupKind]uint64 {
	out := map[schema.GroupKind]uint64{}
	for id, o := range inv.observed {
		rv, err := strconv.ParseUint(o.ResourceVersion, 10, 64)
		if err != nil {
			continue
		}
		gk := schema.GroupKind{Group: id.Group, Kind: id.Kind}
		out[gk] = max(out[gk], rv)
	}
	return out
}
