package openai

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestVectorJSON(t *testing.T) {
	tests := []struct {
		name string
		v    Vector
		want string
	}{
		{"floats", Floats([]float64{1, -0.5, 0.25}), `[1,-0.5,0.25]`},
		{"no values", Vector{}, `[]`},
		// float32 little-endian: 1 = 00 00 80 3F, -0.5 = 00 00 00 BF.
		{"base64", Vector{Values: []float64{1, -0.5}, Base64: true}, `"AACAPwAAAL8="`},
		{"base64 empty", Vector{Base64: true}, `""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.want {
				t.Fatalf("Marshal = %s, want %s", b, tt.want)
			}
			var back Vector
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if back.Base64 != tt.v.Base64 || !slices.Equal(back.Values, tt.v.Values) && len(tt.v.Values) > 0 {
				t.Errorf("round trip = %+v, want %+v", back, tt.v)
			}
		})
	}
}

func TestVectorBase64IsFloat32(t *testing.T) {
	b, err := json.Marshal(Vector{Values: []float64{0.1}, Base64: true})
	if err != nil {
		t.Fatal(err)
	}
	var back Vector
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Values[0] != float64(float32(0.1)) {
		t.Errorf("decoded %v, want float32(0.1) = %v", back.Values[0], float64(float32(0.1)))
	}
}

func TestVectorErrors(t *testing.T) {
	for _, in := range []string{`"not base64!"`, `"AACAPwA="`, `{"a":1}`, `[1,"x"]`} {
		var v Vector
		if err := json.Unmarshal([]byte(in), &v); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, v)
		}
	}
	if _, err := json.Marshal(Floats([]float64{1, nanValue()})); err == nil || !strings.Contains(err.Error(), "finite") {
		t.Errorf("Marshal of NaN: err = %v", err)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}
