package bedrock_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/gitplane/gitplane/gateway/provider"
	"github.com/gitplane/gitplane/gateway/provider/awsfake"
	"github.com/gitplane/gitplane/gateway/provider/bedrock"
)

// modelIDs are ids whose ':' and '/' must be escaped on the wire and
// escaped again in the canonical URI.
var modelIDs = []struct{ name, id, wire string }{
	{"plain id", "amazon.titan-text-express-v1", "/model/amazon.titan-text-express-v1/converse"},
	{"id with colon", "anthropic.claude-3-5-sonnet-20240620-v1:0", "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse"},
	{"cross-Region inference profile", "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
		"/model/us.anthropic.claude-3-5-sonnet-20241022-v2%3A0/converse"},
	{"inference profile ARN", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0",
		"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse"},
}

func TestModelIDsAreSignedAsSent(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	for _, tc := range modelIDs {
		t.Run(tc.name, func(t *testing.T) {
			p := newProvider(t, fake, tc.id)
			req := chatRequest(t, `{"model":"route","messages":[{"role":"user","content":"hi"}]}`)
			if _, err := p.Chat(context.Background(), req); err != nil {
				t.Fatalf("Chat: %v", err)
			}
			got := lastRequest(t, fake)
			if got.RawPath != tc.wire || got.Target != tc.id {
				t.Errorf("wire path %q for model %q, want %q for %q", got.RawPath, got.Target, tc.wire, tc.id)
			}
			var s sink
			if err := p.ChatStream(context.Background(), req, &s); err != nil {
				t.Fatalf("ChatStream: %v", err)
			}
			if got := lastRequest(t, fake); got.RawPath != strings.TrimSuffix(tc.wire, "converse")+"converse-stream" {
				t.Errorf("stream wire path %q", got.RawPath)
			}
		})
	}
}

// signedRequest builds a Converse request for id signed by hand, with the
// path escaped for the wire and signed with or without the signer's second
// escaping.
func signedRequest(t *testing.T, fake *awsfake.Bedrock, id string, creds awsfake.Credential, disableEscaping bool, body []byte) *http.Request {
	t.Helper()
	wire := fake.URL() + "/model/" + httpbinding.EscapePath(id, true) + "/converse"
	req, err := http.NewRequest(http.MethodPost, wire, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), creds.AWS(), req, hex.EncodeToString(sum[:]), "bedrock", "us-east-1",
		time.Now(), func(o *v4.SignerOptions) { o.DisableURIPathEscaping = disableEscaping })
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestStandInRejectsBadSignatures proves the stand-in's check can fail: the
// path-escaping trap, a wrong secret, a body changed after signing and a
// wrong region each yield 403 InvalidSignatureException.
func TestStandInRejectsBadSignatures(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	const id = "anthropic.claude-3-5-sonnet-20240620-v1:0"
	body := []byte(`{"messages":[{"role":"user","content":[{"text":"hi"}]}]}`)
	wrongSecret := awsfake.DefaultCredential
	wrongSecret.SecretAccessKey = "not-the-secret"
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		typ    string
	}{
		{"correct signature", func() *http.Request {
			return signedRequest(t, fake, id, awsfake.DefaultCredential, false, body)
		}, http.StatusOK, ""},
		{"canonical URI not escaped twice (the ':' trap)", func() *http.Request {
			return signedRequest(t, fake, id, awsfake.DefaultCredential, true, body)
		}, http.StatusForbidden, "InvalidSignatureException"},
		{"wrong secret", func() *http.Request {
			return signedRequest(t, fake, id, wrongSecret, false, body)
		}, http.StatusForbidden, "InvalidSignatureException"},
		{"body changed after signing", func() *http.Request {
			r := signedRequest(t, fake, id, awsfake.DefaultCredential, false, body)
			changed := bytes.Replace(body, []byte("hi"), []byte("ho"), 1)
			r.Body, r.ContentLength = ioNopCloser(changed), int64(len(changed))
			return r
		}, http.StatusForbidden, "InvalidSignatureException"},
		{"signed header changed after signing", func() *http.Request {
			r := signedRequest(t, fake, id, awsfake.DefaultCredential, false, body)
			r.Header.Set("Content-Type", "application/x-amz-json-1.1")
			return r
		}, http.StatusForbidden, "InvalidSignatureException"},
		{"no signature", func() *http.Request {
			r := signedRequest(t, fake, id, awsfake.DefaultCredential, false, body)
			r.Header.Del("Authorization")
			return r
		}, http.StatusForbidden, "MissingAuthenticationTokenException"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			typ, _, _ := strings.Cut(resp.Header.Get("X-Amzn-ErrorType"), ":")
			if resp.StatusCode != tc.status || typ != tc.typ {
				t.Errorf("got %d %q, want %d %q", resp.StatusCode, typ, tc.status, tc.typ)
			}
		})
	}
}

// TestWrongSignatureIsAnAuthError drives the provider with a key whose
// secret the stand-in does not know: the upstream 403 becomes a 502 Auth
// error whose message names no key.
func TestWrongSignatureIsAnAuthError(t *testing.T) {
	fake := newFake(t, awsfake.Options{})
	bad := awsfake.DefaultCredential
	bad.SecretAccessKey = "wrong-secret-value"
	p := newProvider(t, fake, "anthropic.claude-3-haiku-20240307-v1:0",
		func(o *bedrock.Options) { o.Credentials = bad.Provider() })
	_, err := p.Chat(context.Background(), chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`))
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Kind != provider.Auth || perr.HTTPStatus() != http.StatusBadGateway ||
		perr.Code != "InvalidSignatureException" {
		t.Fatalf("got %#v, want Auth 502 InvalidSignatureException", err)
	}
	if provider.Fallbackable(err) || strings.Contains(perr.Message, bad.AccessKeyID) || strings.Contains(perr.Message, bad.SecretAccessKey) {
		t.Errorf("auth error fallbackable or leaking the key: %q", perr.Message)
	}
	if fake.Stats().Rejected != 1 {
		t.Errorf("stand-in rejected %d requests, want 1", fake.Stats().Rejected)
	}
}

// fakeClock is a settable clock.
type fakeClock struct{ now time.Time }

// Now returns the clock's time.
func (c *fakeClock) Now() time.Time { return c.now }

// TestCredentialsExpireAndRefresh signs with the first key until the
// injected clock passes its expiry; the stand-in (same clock) then rejects
// it, and the provider's next request signs with the refreshed key.
func TestCredentialsExpireAndRefresh(t *testing.T) {
	clock := &fakeClock{now: time.Now()}
	first := awsfake.Credential{AccessKeyID: "ASIAFIRSTKEY", SecretAccessKey: "first-secret", SessionToken: "t1",
		Expires: clock.now.Add(time.Hour)}
	second := awsfake.Credential{AccessKeyID: "ASIASECONDKEY", SecretAccessKey: "second-secret", SessionToken: "t2",
		Expires: clock.now.Add(3 * time.Hour)}
	fake := newFake(t, awsfake.Options{Credentials: []awsfake.Credential{first, second}, Clock: clock.Now})
	var retrieved []string
	source := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		c := first
		if !clock.now.Before(first.Expires) {
			c = second
		}
		retrieved = append(retrieved, c.AccessKeyID)
		return c.AWS(), nil
	})
	p := newProvider(t, fake, "anthropic.claude-3-haiku-20240307-v1:0", func(o *bedrock.Options) {
		o.Credentials, o.Clock = aws.NewCredentialsCache(source), clock.Now
	})
	req := chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`)
	for range 2 {
		if _, err := p.Chat(context.Background(), req); err != nil {
			t.Fatalf("before expiry: %v", err)
		}
	}
	clock.now = clock.now.Add(90 * time.Minute)
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	reqs := fake.Requests()
	keys := make([]string, len(reqs))
	for i, r := range reqs {
		keys[i], _, _ = strings.Cut(strings.TrimPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential="), "/")
	}
	if strings.Join(keys, ",") != "ASIAFIRSTKEY,ASIAFIRSTKEY,ASIASECONDKEY" || strings.Join(retrieved, ",") != "ASIAFIRSTKEY,ASIASECONDKEY" {
		t.Errorf("signed with %v after retrieving %v", keys, retrieved)
	}
	// The stand-in really rejects the old key now.
	old := newProvider(t, fake, "anthropic.claude-3-haiku-20240307-v1:0", func(o *bedrock.Options) {
		o.Credentials, o.Clock = first.Provider(), clock.Now
	})
	_, err := old.Chat(context.Background(), req)
	var perr *provider.Error
	if !errors.As(err, &perr) || perr.Code != "ExpiredTokenException" || perr.Kind != provider.Auth {
		t.Errorf("old key after expiry: got %v, want Auth ExpiredTokenException", err)
	}
}

// TestExpiredTokenAnswerInvalidatesCredentials covers credentials the
// upstream rejects as expired before their stated expiry (clock skew): the
// request fails, and the next one signs with freshly retrieved keys.
func TestExpiredTokenAnswerInvalidatesCredentials(t *testing.T) {
	stale := awsfake.Credential{AccessKeyID: "ASIASTALE", SecretAccessKey: "s1", SessionToken: "t1"}
	fresh := awsfake.Credential{AccessKeyID: "ASIAFRESH", SecretAccessKey: "s2", SessionToken: "t2"}
	fake := newFake(t, awsfake.Options{Credentials: []awsfake.Credential{stale, fresh}})
	calls := 0
	source := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		calls++
		c := stale
		if calls > 1 {
			c = fresh
		}
		creds := c.AWS()
		creds.CanExpire, creds.Expires = true, time.Now().Add(time.Hour)
		return creds, nil
	})
	p := newProvider(t, fake, "m", func(o *bedrock.Options) { o.Credentials = aws.NewCredentialsCache(source) })
	req := chatRequest(t, `{"model":"r","messages":[{"role":"user","content":"hi"}]}`)
	fake.Enqueue(awsfake.Reply{Error: &awsfake.APIError{Status: http.StatusForbidden, Type: "ExpiredTokenException",
		Message: "The security token included in the request is expired"}})
	if _, err := p.Chat(context.Background(), req); err == nil {
		t.Fatal("want the scripted ExpiredTokenException")
	}
	if _, err := p.Chat(context.Background(), req); err != nil {
		t.Fatalf("after invalidation: %v", err)
	}
	if auth := lastRequest(t, fake).Header.Get("Authorization"); !strings.Contains(auth, "Credential=ASIAFRESH/") {
		t.Errorf("second request signed with %q, want the fresh key", auth)
	}
}
