package openai

import (
	"encoding/json"
	"testing"
)

func TestUnionsRoundTrip(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"string content", `{"role":"user","content":"hi"}`, `{"role":"user","content":"hi"}`},
		{"empty string content", `{"role":"user","content":""}`, `{"role":"user","content":""}`},
		{"null content", `{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`,
			`{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}`},
		{"parts", `{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:x"}}]}`,
			`{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:x"}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m Message
			if err := json.Unmarshal([]byte(tt.in), &m); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRequestUnions(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"stop string, tool_choice mode", `{"model":"m","messages":[],"stop":"x","tool_choice":"auto"}`, `{"model":"m","messages":[],"stop":"x","tool_choice":"auto"}`},
		{"stop list, tool_choice function", `{"model":"m","messages":[],"stop":["x","y"],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			`{"model":"m","messages":[],"stop":["x","y"],"tool_choice":{"type":"function","function":{"name":"f"}}}`},
		{"no stop", `{"model":"m","messages":[]}`, `{"model":"m","messages":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r ChatCompletionRequest
			if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(&r)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestContentStringsAsEncodingJSON: the string fast paths decode and encode
// exactly as encoding/json does, escapes, HTML, U+2028 and bad UTF-8 included.
func TestContentStringsAsEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "Say hello in one word.", `quote " and \ backslash`, "tab\tnew\nline", "<b>&amp;</b>",
		"héllo wörld ✓ 日本語", "line\u2028sep\u2029para", "bad \xff utf-8", "emoji 😀", "\x00\x1f"} {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := TextContent(s).MarshalJSON()
		if err != nil || string(got) != string(want) {
			t.Errorf("MarshalJSON(%q) = %s, %v; want %s", s, got, err, want)
		}
		for _, in := range [][]byte{want, []byte(`"` + s + `"`)} {
			var ref string
			refErr := json.Unmarshal(in, &ref)
			var c Content
			err := c.UnmarshalJSON(in)
			if (err != nil) != (refErr != nil) || (err == nil && c.Text != ref) {
				t.Errorf("UnmarshalJSON(%s) = %q, %v; want %q, %v", in, c.Text, err, ref, refErr)
			}
		}
	}
}
