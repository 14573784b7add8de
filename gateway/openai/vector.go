package openai

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"strconv"
)

// Encoding formats of POST /v1/embeddings (encoding_format).
const (
	EncodingFloat  = "float"
	EncodingBase64 = "base64"
)

// Vector is an embedding. It encodes as a JSON array of numbers or, with
// Base64 set, as OpenAI's encoding_format "base64": a base64 string of the
// vector's little-endian float32 values. The official Python and Node SDKs
// ask for base64 unless told otherwise; Node decodes the answer without
// looking at its type. It decodes from either form.
type Vector struct {
	Values []float64
	Base64 bool
}

// Floats returns a float Vector.
func Floats(v []float64) Vector { return Vector{Values: v} }

// MarshalJSON encodes v as numbers or as base64 of float32s.
func (v Vector) MarshalJSON() ([]byte, error) {
	if v.Base64 {
		raw := make([]byte, 4*len(v.Values))
		for i, f := range v.Values {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(float32(f)))
		}
		out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
		out = append(out, '"')
		out = base64.StdEncoding.AppendEncode(out, raw)
		return append(out, '"'), nil
	}
	if v.Values == nil {
		return []byte("[]"), nil
	}
	out := make([]byte, 0, 12*len(v.Values)+2)
	out = append(out, '[')
	for i, f := range v.Values {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, errors.New("embedding value is not a finite number")
		}
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendFloat(out, f, 'g', -1, 64)
	}
	return append(out, ']'), nil
}

// UnmarshalJSON decodes an array of numbers or a base64 string of
// little-endian float32 values.
func (v *Vector) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return errors.New("embedding: malformed base64")
		}
		if len(raw)%4 != 0 {
			return errors.New("embedding: base64 length is not a multiple of 4 bytes (float32)")
		}
		v.Values = make([]float64, len(raw)/4)
		for i := range v.Values {
			v.Values[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:])))
		}
		v.Base64 = true
		return nil
	}
	v.Base64 = false
	return json.Unmarshal(b, &v.Values)
}
