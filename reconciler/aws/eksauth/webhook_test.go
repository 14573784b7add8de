package eksauth_test

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	"k8s.io/utils/clock"
	"sigs.k8s.io/yaml"

	"github.com/gitplane/gitplane/reconciler/aws/awstest"
	"github.com/gitplane/gitplane/reconciler/aws/eksauth"
)

// stsWebhook is a token-review webhook for kube-apiserver that accepts EKS
// tokens the way aws-iam-authenticator does, with STS replaced by an
// independent SigV4 check against the fake credentials: the token must decode
// to a presigned GetCallerIdentity URL whose signature covers host and
// x-k8s-aws-id: <cluster>, and must be younger than 15 minutes by the clock.
type stsWebhook struct {
	cluster string
	clock   clock.PassiveClock
	srv     *httptest.Server

	mu       sync.Mutex
	accepted []string
	rejected []string
}

// webhookUser is the identity accepted tokens map to (system:masters, so the
// RBAC-authorizing test API server lets it do anything).
const webhookUser = "arn:aws:sts::111122223333:assumed-role/gitplane/test"

func newSTSWebhook(t *testing.T, cluster string, clk clock.PassiveClock) *stsWebhook {
	w := &stsWebhook{cluster: cluster, clock: clk}
	w.srv = httptest.NewTLSServer(http.HandlerFunc(w.review))
	t.Cleanup(w.srv.Close)
	return w
}

func (w *stsWebhook) review(rw http.ResponseWriter, r *http.Request) {
	var tr authnv1.TokenReview
	if err := json.NewDecoder(r.Body).Decode(&tr); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	err := w.verify(tr.Spec.Token)
	w.mu.Lock()
	if err == nil {
		w.accepted = append(w.accepted, tr.Spec.Token)
		tr.Status = authnv1.TokenReviewStatus{Authenticated: true, User: authnv1.UserInfo{
			Username: webhookUser, Groups: []string{"system:masters", "system:authenticated"},
		}}
	} else {
		w.rejected = append(w.rejected, err.Error())
		tr.Status = authnv1.TokenReviewStatus{Error: err.Error()}
	}
	w.mu.Unlock()
	rw.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(rw).Encode(tr)
}

func (w *stsWebhook) verify(token string) error {
	u, err := eksauth.DecodeToken(token)
	if err != nil {
		return err
	}
	if err := verifyPresigned(u, awstest.SecretAccessKey, w.cluster); err != nil {
		return err
	}
	signed, err := time.Parse("20060102T150405Z", u.Query().Get("X-Amz-Date"))
	if err != nil {
		return err
	}
	if age := w.clock.Now().Sub(signed); age > eksauth.TokenLifetime {
		return fmt.Errorf("token expired %s ago", age-eksauth.TokenLifetime)
	}
	return nil
}

// distinctAccepted returns how many different tokens were accepted.
func (w *stsWebhook) distinctAccepted() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	seen := map[string]bool{}
	for _, tok := range w.accepted {
		seen[tok] = true
	}
	return len(seen)
}

// writeConfig writes the kubeconfig-format file kube-apiserver's
// --authentication-token-webhook-config-file takes.
func (w *stsWebhook) writeConfig(t *testing.T) string {
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: w.srv.Certificate().Raw})
	cfg := map[string]any{
		"apiVersion": "v1", "kind": "Config",
		"clusters": []any{map[string]any{"name": "sts-webhook", "cluster": map[string]any{
			"server": w.srv.URL, "certificate-authority-data": base64.StdEncoding.EncodeToString(ca),
		}}},
		"users":           []any{map[string]any{"name": "kube-apiserver", "user": map[string]any{}}},
		"contexts":        []any{map[string]any{"name": "webhook", "context": map[string]any{"cluster": "sts-webhook", "user": "kube-apiserver"}}},
		"current-context": "webhook",
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "token-webhook.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
