package awsapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gitplane/gitplane/gateway/provider"
)

// PostJSON encodes v as the JSON body (HTML characters left as they are)
// of a signed POST to t and sends it with Do. what names the body in the
// error ("Converse request").
func (c *Client) PostJSON(ctx context.Context, t Target, v any, what string) (*http.Response, error) {
	body := GetBuffer()
	enc := json.NewEncoder(body)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		PutBuffer(body)
		return nil, &provider.Error{Kind: provider.Internal, Message: "encoding the " + what + " failed", Err: err}
	}
	return c.Do(ctx, t, body)
}

// ReadJSON reads resp's body (at most limit bytes), closes it and decodes
// it into v. A failed read is a TransportError; a body that is not JSON of
// v's shape, or that valid (when not nil) rejects once decoded, is an
// InvalidResponse error saying message.
func ReadJSON(ctx context.Context, resp *http.Response, limit int64, v any, valid func() bool, message string) error {
	body, err := ReadBody(resp, limit)
	if err != nil {
		return TransportError(ctx, err)
	}
	defer PutBuffer(body)
	if err := json.Unmarshal(body.Bytes(), v); err != nil || (valid != nil && !valid()) {
		return &provider.Error{Kind: provider.Unavailable, Status: http.StatusBadGateway, Code: "InvalidResponse", Message: message, Err: err}
	}
	return nil
}
