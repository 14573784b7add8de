package irsa

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// PolicyVersion is the IAM policy language version gitplane writes.
const PolicyVersion = "2012-10-17"

// Policy is an IAM policy document, as far as trust policies use it.
type Policy struct {
	Version   string     `json:"Version"`
	Statement Statements `json:"Statement"`
}

// Statement is one policy statement.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    StringSet  `json:"Action,omitempty"`
	Condition Conditions `json:"Condition,omitempty"`
	// NotAction and NotPrincipal are read so that statements using them are
	// not mistaken for ones granting the action; gitplane never writes them.
	NotAction    StringSet       `json:"NotAction,omitempty"`
	NotPrincipal json.RawMessage `json:"NotPrincipal,omitempty"`
}

// Conditions maps an operator (StringEquals, StringLike, …) to condition
// keys and their values.
type Conditions map[string]map[string]StringSet

// Principal is "*" or a map of principal types (Federated, AWS, Service) to
// identifiers.
type Principal struct {
	Any bool
	IDs map[string]StringSet
}

// StringSet is a policy value written either as one string or as a list.
type StringSet []string

// Statements is a statement list, also accepting IAM's single-object form.
type Statements []Statement

// ParsePolicy reads a policy document, URL-decoding it first when it is
// URL-encoded as iam:GetRole returns AssumeRolePolicyDocument.
func ParsePolicy(doc string) (*Policy, error) {
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		dec, err := url.PathUnescape(doc)
		if err != nil {
			return nil, fmt.Errorf("URL-decoding policy document: %w", err)
		}
		doc = dec
	}
	var p Policy
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return nil, fmt.Errorf("parsing policy document: %w", err)
	}
	return &p, nil
}

// UnmarshalJSON accepts "x" and ["x", "y"].
func (s *StringSet) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("[")) {
		var list []string
		if err := json.Unmarshal(data, &list); err != nil {
			return err
		}
		*s = list
		return nil
	}
	var one string
	if err := json.Unmarshal(data, &one); err != nil {
		return err
	}
	*s = StringSet{one}
	return nil
}

// MarshalJSON writes one value as a string, several as a list.
func (s StringSet) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

// UnmarshalJSON accepts a statement list or a single statement.
func (s *Statements) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
		var one Statement
		if err := json.Unmarshal(data, &one); err != nil {
			return err
		}
		*s = Statements{one}
		return nil
	}
	var list []Statement
	if err := json.Unmarshal(data, &list); err != nil {
		return err
	}
	*s = list
	return nil
}

// UnmarshalJSON accepts "*" and {"Federated": …}.
func (p *Principal) UnmarshalJSON(data []byte) error {
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte(`"`)) {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		if s != "*" {
			return fmt.Errorf("principal %q: only \"*\" may be written as a string", s)
		}
		p.Any = true
		return nil
	}
	return json.Unmarshal(data, &p.IDs)
}

// MarshalJSON writes "*" or the principal map.
func (p Principal) MarshalJSON() ([]byte, error) {
	if p.Any {
		return []byte(`"*"`), nil
	}
	return json.Marshal(p.IDs)
}
