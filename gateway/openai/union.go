package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

var nullJSON = []byte("null")

// Content is a message content: a plain string (Parts nil) or an array of
// parts. A JSON null decodes to the zero Content; the zero Content encodes as
// null (as OpenAI answers an assistant message that only calls tools).
type Content struct {
	Text  string
	Parts []ContentPart
	set   bool // Text was given, even if empty ("" rather than null)
}

// TextContent returns a string Content.
func TextContent(s string) Content { return Content{Text: s, set: true} }

// IsZero reports whether c is null (no string and no parts).
func (c Content) IsZero() bool { return c.Parts == nil && c.Text == "" && !c.set }

// MarshalJSON encodes c as a string, an array of parts or null.
func (c Content) MarshalJSON() ([]byte, error) {
	if c.Parts != nil {
		return json.Marshal(c.Parts)
	}
	if c.Text == "" && !c.set {
		return nullJSON, nil
	}
	return quote(c.Text)
}

// UnmarshalJSON decodes a string, an array of parts or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, nullJSON):
		*c = Content{}
		return nil
	case len(b) > 0 && b[0] == '"':
		*c = Content{set: true}
		return unquote(b, &c.Text)
	case len(b) > 0 && b[0] == '[':
		*c = Content{}
		if err := json.Unmarshal(b, &c.Parts); err != nil {
			return err
		}
		if c.Parts == nil {
			c.Parts = []ContentPart{}
		}
		return nil
	}
	return errors.New("content: want a string, an array of parts or null")
}

// AllText concatenates the string content or the text of every text part.
func (c Content) AllText() string {
	if c.Parts == nil {
		return c.Text
	}
	var b []byte
	for _, p := range c.Parts {
		if p.Type == "text" {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// StringOrList is a JSON value that is either one string or an array of
// strings (stop, embeddings input). Single records which form was sent.
type StringOrList struct {
	Values []string
	Single bool
}

// IsZero reports whether no value was given.
func (s StringOrList) IsZero() bool { return s.Values == nil }

// MarshalJSON encodes one string when Single, else an array.
func (s StringOrList) MarshalJSON() ([]byte, error) {
	if s.Single && len(s.Values) == 1 {
		return json.Marshal(s.Values[0])
	}
	if s.Values == nil {
		return nullJSON, nil
	}
	return json.Marshal(s.Values)
}

// UnmarshalJSON decodes a string, an array of strings or null.
func (s *StringOrList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, nullJSON):
		*s = StringOrList{}
		return nil
	case len(b) > 0 && b[0] == '"':
		var v string
		if err := unquote(b, &v); err != nil {
			return err
		}
		*s = StringOrList{Values: []string{v}, Single: true}
		return nil
	case len(b) > 0 && b[0] == '[':
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				// unwrapped, so that the outer decoder names the field
				return &json.UnmarshalTypeError{Value: te.Value, Type: te.Type, Offset: te.Offset}
			}
			return fmt.Errorf("want a string or an array of strings: %w", err)
		}
		if v == nil {
			v = []string{}
		}
		*s = StringOrList{Values: v}
		return nil
	}
	return errors.New("want a string or an array of strings")
}

// ToolChoice is tool_choice: a mode string ("none", "auto", "required") or
// a named function {"type":"function","function":{"name":...}}.
type ToolChoice struct {
	Mode     string // "none", "auto", "required"; empty when Function is set
	Function string // name of the forced function
}

type toolChoiceObject struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// MarshalJSON encodes the mode string or the function object.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Function != "" {
		o := toolChoiceObject{Type: "function"}
		o.Function.Name = t.Function
		return json.Marshal(o)
	}
	return json.Marshal(t.Mode)
}

// UnmarshalJSON decodes a mode string or a function object.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		*t = ToolChoice{}
		return unquote(b, &t.Mode)
	}
	var o toolChoiceObject
	if err := json.Unmarshal(b, &o); err != nil {
		return fmt.Errorf("tool_choice: %w", err)
	}
	if o.Type != "function" || o.Function.Name == "" {
		return errors.New(`tool_choice: want "none", "auto", "required" or {"type":"function","function":{"name":...}}`)
	}
	*t = ToolChoice{Function: o.Function.Name}
	return nil
}

// unquote decodes the JSON string b into s. A string without escapes,
// control characters or invalid UTF-8 (most prompts) is taken as it is;
// others go through encoding/json, which this matches.
func unquote(b []byte, s *string) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && plain(b[1:len(b)-1], false) && utf8.Valid(b) {
		*s = string(b[1 : len(b)-1])
		return nil
	}
	return json.Unmarshal(b, s)
}

// quote encodes s as a JSON string as json.Marshal does (HTML characters
// escaped), without its reflection when s needs no escaping.
func quote(s string) ([]byte, error) {
	if !plain(s, true) || !utf8.ValidString(s) {
		return json.Marshal(s)
	}
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// plain reports whether b holds no byte a JSON string must escape: '"',
// '\\', control characters, and with html '<', '>', '&' and U+2028/U+2029
// (which json.Marshal escapes too). UTF-8 validity is checked apart.
func plain[T string | []byte](b T, html bool) bool {
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c < 0x20 || c == '"' || c == '\\':
			return false
		case html && (c == '<' || c == '>' || c == '&'):
			return false
		case html && c == 0xE2 && i+2 < len(b) && b[i+1] == 0x80 && (b[i+2] == 0xA8 || b[i+2] == 0xA9):
			return false
		}
	}
	return true
}

// EmbeddingInput is the input of an embeddings request: a string or an
// array of strings. Arrays of token ids are refused with a message that
// says so: they are ids of OpenAI's tokenizers (LangChain's
// OpenAIEmbeddings sends them unless check_embedding_ctx_length=False),
// which mean nothing to a route's model.
type EmbeddingInput struct{ StringOrList }

// errTokenInput is the error of a token-array input.
var errTokenInput = errors.New("input: arrays of token ids are not supported, send the text " +
	"(LangChain: OpenAIEmbeddings(check_embedding_ctx_length=False))")

// UnmarshalJSON decodes a string or an array of strings.
func (in *EmbeddingInput) UnmarshalJSON(b []byte) error {
	if rest, ok := bytes.CutPrefix(bytes.TrimSpace(b), []byte("[")); ok {
		if rest = bytes.TrimSpace(rest); len(rest) > 0 && (rest[0] == '[' || rest[0] == '-' || rest[0] >= '0' && rest[0] <= '9') {
			return errTokenInput
		}
	}
	return in.StringOrList.UnmarshalJSON(b)
}
