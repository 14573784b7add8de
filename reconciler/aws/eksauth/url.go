package eksauth

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// amzDateFormat is the layout of X-Amz-Date.
const amzDateFormat = "20060102T150405Z"

// signingTime reads X-Amz-Date from a presigned URL.
func signingTime(presigned string) (time.Time, error) {
	u, err := url.Parse(presigned)
	if err != nil {
		return time.Time{}, fmt.Errorf("parsing presigned URL: %w", err)
	}
	t, err := time.Parse(amzDateFormat, u.Query().Get("X-Amz-Date"))
	if err != nil {
		return time.Time{}, fmt.Errorf("reading X-Amz-Date of presigned URL: %w", err)
	}
	return t, nil
}

// DecodeToken returns the presigned URL inside an EKS token.
func DecodeToken(token string) (*url.URL, error) {
	enc, ok := strings.CutPrefix(token, TokenPrefix)
	if !ok {
		return nil, fmt.Errorf("token does not start with %s", TokenPrefix)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return nil, fmt.Errorf("decoding token: %w", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing token URL: %w", err)
	}
	return u, nil
}
