package redistest

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// formCluster gives each node an equal range of the 16384 slots, has the
// first meet the others and waits until every node says the cluster is ok.
func (srv *Server) formCluster(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	nodes := make([]*redis.Client, len(srv.Addrs))
	for i, addr := range srv.Addrs {
		o := &redis.Options{Addr: addr, DisableIdentity: true}
		if srv.CAs != nil {
			o.TLSConfig = &tls.Config{RootCAs: srv.CAs}
		}
		nodes[i] = redis.NewClient(o)
		defer nodes[i].Close()
	}
	const slots = 16384
	n := len(nodes)
	for i, c := range nodes {
		lo, hi := i*slots/n, (i+1)*slots/n-1
		if err := c.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			t.Fatalf("assigning slots %d-%d to %s: %v", lo, hi, srv.Addrs[i], err)
		}
		if i > 0 {
			host, port, _ := net.SplitHostPort(srv.Addrs[i])
			if err := nodes[0].Do(ctx, "CLUSTER", "MEET", host, port, srv.busPorts[i]).Err(); err != nil {
				t.Fatalf("meeting %s: %v", srv.Addrs[i], err)
			}
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for i, c := range nodes {
		for {
			info, err := c.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(n)+"\r") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ok on %s: %v\n%s", srv.Addrs[i], err, info)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
