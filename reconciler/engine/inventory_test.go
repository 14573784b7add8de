package engine

import (
	"fmt"
	"testing"
)

func TestInventoryEncodeRoundTrip(t *testing.T) {
	tests := []struct {
		name           string
		n              int
		wantCompressed bool
	}{
		{"empty", 0, false},
		{"small", 10, false},
		{"8000 refs", 8000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var refs []Ref
			for i := range tt.n {
				refs = append(refs, Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "models-with-a-long-namespace-name", Name: fmt.Sprintf("model-with-a-long-name-%05d", i)})
			}
			obs := map[ID]Observed{}
			for i, r := range refs {
				if i%2 == 0 {
					obs[r.ID()] = Observed{ResourceVersion: fmt.Sprint(100000 + i), Generation: int64(i % 3)}
				}
			}
			inv := NewInventory(refs...).WithObserved(obs)
			data, compressed, err := inv.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if compressed != tt.wantCompressed {
				t.Errorf("compressed = %v, want %v", compressed, tt.wantCompressed)
			}
			// A ConfigMap holds at most 1 MiB; base64 of binaryData adds a third.
			if size := len(data) * 4 / 3; size > 900<<10 {
				t.Errorf("encoded inventory of %d refs takes %d bytes; must fit a ConfigMap", tt.n, size)
			}
			got, err := DecodeInventory(data, compressed)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(inv) {
				t.Errorf("round trip lost refs: got %d, want %d", got.Len(), inv.Len())
			}
		})
	}
}

func TestDecodeInventoryRejectsMalformedLines(t *testing.T) {
	_, err := DecodeInventory([]byte("apps|v1|Deployment|ns|a\nnot-a-ref\n"), false)
	if err == nil || err.Error() != `inventory line 2: malformed inventory entry "not-a-ref" (want group|version|kind|namespace|name)` {
		t.Fatalf("err = %v", err)
	}
}

func TestInventorySetOperations(t *testing.T) {
	a := Ref{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "a"}
	b := Ref{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "b"}
	ns := Ref{Version: "v1", Kind: "Namespace", Name: "ns"}
	bNewVersion := b
	bNewVersion.Version = "v2"

	old := NewInventory(a, b, ns)
	cur := NewInventory(bNewVersion, ns)

	if got := old.Minus(cur); len(got) != 1 || got[0] != a {
		t.Errorf("Minus = %v, want [%v]", got, a)
	}
	u := old.Union(cur)
	if u.Len() != 3 || !u.Has(a) {
		t.Errorf("Union = %v", u.Refs())
	}
	if got := u.Refs(); got[0] != ns || got[len(got)-1] != bNewVersion {
		t.Errorf("Refs not in apply order or version not taken from the newer inventory: %v", got)
	}
	if old.Equal(old.Union(cur)) {
		t.Error("Equal ignores versions")
	}
}
