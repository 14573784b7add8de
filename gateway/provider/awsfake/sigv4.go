package awsfake

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// maxClockSkew is how far X-Amz-Date may be from the stand-in's clock, as on AWS.
const maxClockSkew = 5 * time.Minute

// verifier recomputes SigV4 signatures for one service and region.
type verifier struct {
	service string
	region  string
	keys    *keyring
	clock   func() time.Time
	signer  *v4.Signer
}

// authHeader is a parsed SigV4 Authorization header.
type authHeader struct {
	accessKeyID   string
	signedHeaders []string
}

// parseAuth splits "AWS4-HMAC-SHA256 Credential=AKID/scope, SignedHeaders=a;b, Signature=hex".
func parseAuth(v string) (authHeader, bool) {
	rest, ok := strings.CutPrefix(v, "AWS4-HMAC-SHA256 ")
	if !ok {
		return authHeader{}, false
	}
	var a authHeader
	for part := range strings.SplitSeq(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			a.accessKeyID, _, _ = strings.Cut(val, "/")
		case "SignedHeaders":
			a.signedHeaders = strings.Split(val, ";")
		}
	}
	return a, a.accessKeyID != "" && len(a.signedHeaders) > 0
}

// verify checks r's signature over body the way AWS does: it rebuilds the
// request from the exact path bytes on the wire and the headers the client
// listed as signed, signs it with the key named in the Authorization header
// and compares. It returns the AWS error to answer, or nil.
func (v *verifier) verify(ctx context.Context, r *http.Request, body []byte) *APIError {
	got := r.Header.Get("Authorization")
	if got == "" {
		return &APIError{Status: http.StatusForbidden, Type: "MissingAuthenticationTokenException",
			Message: "Missing Authentication Token"}
	}
	auth, ok := parseAuth(got)
	if !ok {
		return &APIError{Status: http.StatusBadRequest, Type: "IncompleteSignatureException",
			Message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	}
	key, ok := v.keys.get(auth.accessKeyID)
	if !ok || subtle.ConstantTimeCompare([]byte(key.SessionToken), []byte(r.Header.Get("X-Amz-Security-Token"))) != 1 {
		return &APIError{Status: http.StatusForbidden, Type: "UnrecognizedClientException",
			Message: "The security token included in the request is invalid."}
	}
	now := v.clock()
	if !key.Expires.IsZero() && !now.Before(key.Expires) {
		return &APIError{Status: http.StatusForbidden, Type: "ExpiredTokenException",
			Message: "The security token included in the request is expired"}
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &APIError{Status: http.StatusBadRequest, Type: "IncompleteSignatureException",
			Message: "Date must be in ISO-8601 'basic format'."}
	}
	if d := now.Sub(signedAt); d > maxClockSkew || d < -maxClockSkew {
		e := InvalidSignature()
		e.Message = "Signature expired: " + signedAt.UTC().Format("20060102T150405Z") +
			" is now earlier than " + now.Add(-maxClockSkew).UTC().Format("20060102T150405Z") + " (" +
			now.UTC().Format("20060102T150405Z") + " - 5 min.)"
		return e
	}
	want, err := v.resign(ctx, r, auth, key, body, signedAt)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
		return InvalidSignature()
	}
	return nil
}

// resign signs a copy of r built from its wire path and signed headers and
// returns the Authorization header AWS would expect.
func (v *verifier) resign(ctx context.Context, r *http.Request, auth authHeader, key Credential, body []byte, at time.Time) (string, error) {
	u, err := url.ParseRequestURI(r.RequestURI)
	if err != nil {
		return "", err
	}
	u.Scheme, u.Host = "http", r.Host
	req := &http.Request{Method: r.Method, URL: u, Host: r.Host, Header: make(http.Header, len(auth.signedHeaders)),
		ContentLength: int64(len(body))}
	for _, name := range auth.signedHeaders {
		if name == "host" || name == "content-length" {
			continue
		}
		canon := textproto.CanonicalMIMEHeaderKey(name)
		if vals, ok := r.Header[canon]; ok {
			req.Header[canon] = vals
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key.AccessKeyID, SecretAccessKey: key.SecretAccessKey, SessionToken: key.SessionToken}
	if err := v.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), v.service, v.region, at); err != nil {
		return "", err
	}
	return req.Header.Get("Authorization"), nil
}
