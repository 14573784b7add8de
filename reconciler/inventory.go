package reconciler

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Inventory is the set of objects gitplane has applied to one Environment.
// It is what prune may delete: nothing outside it is ever deleted. The
// functions on it are pure; inventory_store.go reads and writes it.
type Inventory struct {
	refs map[ID]Ref
}

// NewInventory returns an inventory holding refs.
func NewInventory(refs ...Ref) Inventory {
	inv := Inventory{refs: make(map[ID]Ref, len(refs))}
	for _, r := range refs {
		inv.refs[r.ID()] = r
	}
	return inv
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

// Union returns the objects in either inventory; b's versions win.
func (inv Inventory) Union(b Inventory) Inventory {
	out := NewInventory(inv.Refs()...)
	for id, r := range b.refs {
		out.refs[id] = r
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

// Equal reports whether both hold the same objects at the same versions.
func (inv Inventory) Equal(b Inventory) bool {
	if len(inv.refs) != len(b.refs) {
		return false
	}
	for id, r := range inv.refs {
		if b.refs[id] != r {
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
	var refs []Ref
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		ref, err := decodeRef(line)
		if err != nil {
			return Inventory{}, fmt.Errorf("inventory line %d: %w", n, err)
		}
		refs = append(refs, ref)
	}
	if err := sc.Err(); err != nil {
		return Inventory{}, fmt.Errorf("reading inventory: %w", err)
	}
	return NewInventory(slices.Clip(refs)...), nil
}
