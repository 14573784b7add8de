package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gitplane/gitplane/reconciler/testenv"
)

// TestFollowsOnlyItsCluster: serve told which cluster it runs in follows
// only the Environments that name it; the others are not synced at all.
func TestFollowsOnlyItsCluster(t *testing.T) {
	for _, tt := range []struct {
		cluster string
		follows bool
	}{{testenv.Cluster.Name, true}, {"ml-elsewhere", false}} {
		t.Run(tt.cluster, func(t *testing.T) {
			g := newGitRepo(t)
			l := startLoop(t, g, loopOptions{poll: "off", clusterName: tt.cluster})
			waitFor(t, 30*time.Second, "serve ready (Environments read)", func() bool {
				resp, err := http.Get(l.http.URL + "/readyz")
				if err != nil {
					return false
				}
				resp.Body.Close()
				return resp.StatusCode == http.StatusOK
			})
			resp, err := http.Get(l.http.URL + "/status?format=json")
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			body := string(b)
			if got := strings.Contains(body, `"environment": "`+g.env+`"`); got != tt.follows {
				t.Errorf("serving cluster %s: %s followed = %v, want %v\n%s", tt.cluster, g.env, got, tt.follows, body)
			}
			if tt.follows {
				l.waitStatus(g.git(g.work, "rev-parse", "HEAD"), 60*time.Second)
			}
		})
	}
}
