package awstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
)

// Cluster is one cluster the fake EKS knows.
type Cluster struct {
	Name       string
	Endpoint   string
	CAData     string // base64 PEM, as EKS returns it
	OIDCIssuer string
	Status     string // default ACTIVE
}

// EKS is a fake EKS API answering DescribeCluster in REST-JSON.
type EKS struct {
	recorder
	URL      string
	clusters map[string]Cluster
}

// NewEKS starts a fake EKS that knows clusters; it stops with the test.
func NewEKS(t testing.TB, clusters ...Cluster) *EKS {
	e := &EKS{clusters: map[string]Cluster{}}
	for _, c := range clusters {
		e.clusters[c.Name] = c
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /clusters/{name}", func(w http.ResponseWriter, r *http.Request) {
		e.describeCluster(t, w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

// Options points an EKS client at the fake.
func (e *EKS) Options(o *eks.Options) { o.BaseEndpoint = aws.String(e.URL) }

func (e *EKS) describeCluster(t testing.TB, w http.ResponseWriter, r *http.Request) {
	if e.record("DescribeCluster") {
		restJSONError(w, http.StatusTooManyRequests, "ThrottlingException", "Rate exceeded")
		return
	}
	if !signed(t, r, "eks") {
		restJSONError(w, http.StatusForbidden, "AccessDeniedException", "missing signature")
		return
	}
	c, ok := e.clusters[r.PathValue("name")]
	if !ok {
		restJSONError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+r.PathValue("name")+".")
		return
	}
	status := c.Status
	if status == "" {
		status = "ACTIVE"
	}
	body := map[string]any{"cluster": map[string]any{
		"name":                 c.Name,
		"arn":                  "arn:aws:eks:us-east-1:111122223333:cluster/" + c.Name,
		"endpoint":             c.Endpoint,
		"status":               status,
		"version":              "1.32",
		"certificateAuthority": map[string]any{"data": c.CAData},
		"identity":             map[string]any{"oidc": map[string]any{"issuer": c.OIDCIssuer}},
	}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// restJSONError writes an error the way AWS REST-JSON services do.
func restJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
