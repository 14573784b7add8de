package awstest

import (
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// Role is one IAM role the fake IAM knows.
type Role struct {
	Name        string
	Path        string // default "/"
	TrustPolicy string // JSON; served URL-encoded as IAM does
}

// IAM is a fake IAM API answering GetRole in the query protocol with XML.
type IAM struct {
	recorder
	URL     string
	account string
	mu      sync.Mutex
	roles   map[string]Role
}

// NewIAM starts a fake IAM for account; it stops with the test.
func NewIAM(t testing.TB, account string, roles ...Role) *IAM {
	f := &IAM{account: account, roles: map[string]Role{}}
	for _, r := range roles {
		f.Put(r)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.serve(t, w, r) }))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Put adds or replaces a role.
func (f *IAM) Put(r Role) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.roles[r.Name] = r
}

// Options points an IAM client at the fake.
func (f *IAM) Options(o *iam.Options) { o.BaseEndpoint = aws.String(f.URL) }

func (f *IAM) serve(t testing.TB, w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("Version") != "2010-05-08" {
		queryError(w, http.StatusBadRequest, "MalformedQueryString", "want a POST form with Version=2010-05-08")
		return
	}
	action := r.PostForm.Get("Action")
	if f.record(action) {
		queryError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	}
	if !signed(t, r, "iam") {
		queryError(w, http.StatusForbidden, "SignatureDoesNotMatch", "missing signature")
		return
	}
	if action != "GetRole" {
		queryError(w, http.StatusBadRequest, "InvalidAction", "fake IAM implements GetRole only, not "+action)
		return
	}
	f.getRole(w, r.PostForm.Get("RoleName"))
}

func (f *IAM) getRole(w http.ResponseWriter, name string) {
	f.mu.Lock()
	role, ok := f.roles[name]
	f.mu.Unlock()
	if !ok {
		queryError(w, http.StatusNotFound, "NoSuchEntity", "The role with name "+name+" cannot be found.")
		return
	}
	path := role.Path
	if path == "" {
		path = "/"
	}
	type roleXML struct {
		Path, RoleName, RoleId, Arn, CreateDate, AssumeRolePolicyDocument string
	}
	resp := struct {
		XMLName xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ GetRoleResponse"`
		Role    roleXML  `xml:"GetRoleResult>Role"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}{
		Role: roleXML{
			Path: path, RoleName: name, RoleId: "AROAFAKE" + strings.ToUpper(name),
			Arn:                      "arn:aws:iam::" + f.account + ":role" + path + name,
			CreateDate:               "2026-01-01T00:00:00Z",
			AssumeRolePolicyDocument: rfc3986Escape(role.TrustPolicy),
		},
		ID: "11111111-2222-3333-4444-555555555555",
	}
	writeXML(w, http.StatusOK, resp)
}

// rfc3986Escape percent-encodes like IAM does (spaces as %20).
func rfc3986Escape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// queryError writes an AWS query-protocol error response.
func queryError(w http.ResponseWriter, status int, code, msg string) {
	type errXML struct {
		Type, Code, Message string
	}
	resp := struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Error   errXML   `xml:"Error"`
		ID      string   `xml:"RequestId"`
	}{Error: errXML{Type: "Sender", Code: code, Message: msg}, ID: "11111111-2222-3333-4444-555555555555"}
	writeXML(w, status, resp)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}
