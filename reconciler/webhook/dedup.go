package webhook

import "sync"

// dedup remembers the last max delivery IDs; the oldest is forgotten first.
type dedup struct {
	mu   sync.Mutex
	seen map[string]uint64 // id → sequence number of its ring slot
	ring []ringSlot
	next uint64
}

type ringSlot struct {
	id  string
	seq uint64
}

func newDedup(max int) *dedup {
	return &dedup{seen: make(map[string]uint64, max), ring: make([]ringSlot, max)}
}

// add records id and reports whether it is new.
func (d *dedup) add(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return false
	}
	slot := &d.ring[d.next%uint64(len(d.ring))]
	if old, ok := d.seen[slot.id]; ok && old == slot.seq && slot.id != "" {
		delete(d.seen, slot.id)
	}
	*slot = ringSlot{id: id, seq: d.next}
	d.seen[id] = d.next
	d.next++
	return true
}

// forget drops id so a redelivery is accepted.
func (d *dedup) forget(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.seen, id)
}
