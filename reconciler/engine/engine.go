package engine

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/utils/clock"
)

// FieldManager is the server-side apply field manager gitplane applies as.
const FieldManager = "gitplane"

// InventoryNamespace holds the inventory ConfigMap of every Environment.
const InventoryNamespace = "gitplane-system"

// Options configure an Engine. Start from DefaultOptions; New gives the
// fields left zero their default values.
type Options struct {
	// Concurrency bounds the requests in flight within an apply stage.
	// Default 48: writes wait mostly on etcd commits, which etcd batches, so
	// more in flight means more per commit.
	Concurrency int
	// Backoff is how requests that fail with 429, 5xx or a broken connection
	// are retried. Default: 6 tries from 200ms, doubling, capped at 5s.
	Backoff wait.Backoff
	// Poll is how often Wait looks at the objects. Default 1s.
	Poll time.Duration
	// Logger receives progress; default slog.Default().
	Logger *slog.Logger
	// Watch keeps a watch-fed cache of the live objects' metadata between
	// plans (for long-running callers such as serve): a plan of an
	// unchanged cluster then sends no request. Each Environment's watches
	// run until Unwatch, Close, or WatchIdle without a plan reading them.
	// Call Close when done.
	Watch bool
	// WatchIdle is how long a watch (one per Environment and kind) that no
	// plan reads is kept. Default 1h.
	WatchIdle time.Duration
	// Identity names this Engine as the holder of an Environment's Lease
	// ("Environment prod is being synced by <Identity> since ...");
	// unique per Engine. Default: host name, process id and a random
	// suffix.
	Identity string
	// LeaseDuration is how long a Lease not renewed stays held (a sync
	// renews it every third of that). Default 60s.
	LeaseDuration time.Duration
	// RecreateTimeout bounds how long applying an object that must be
	// recreated waits for the old one to be gone. Default 2m.
	RecreateTimeout time.Duration
	// EstablishTimeout bounds how long apply waits for the CRDs it applied
	// to be established before it applies objects of their kinds. Default
	// 1m.
	EstablishTimeout time.Duration
	// Clock tells the time for Leases, the waits (health, recreate, CRDs,
	// watches catching up) and idle watches; default the real clock.
	Clock clock.WithTicker
}

// DefaultBackoff retries for about 12 seconds in all.
var DefaultBackoff = wait.Backoff{Duration: 200 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: 6, Cap: 5 * time.Second}

// DefaultOptions are the defaults of every option: 48 requests in flight,
// DefaultBackoff, a 1s health poll, 60s Leases, the real clock and
// slog.Default(). Identity stays empty: New names each Engine itself.
func DefaultOptions() Options {
	o := Options{}.withDefaults()
	o.Identity = ""
	return o
}

// DefaultWait is how long `apply --wait` and serve's syncs wait for the
// applied objects to become healthy unless told otherwise
// (ApplyOptions.Wait).
const DefaultWait = 5 * time.Minute

func (o Options) withDefaults() Options {
	o.Concurrency = cmp.Or(o.Concurrency, 48)
	if o.Backoff.Steps == 0 {
		o.Backoff = DefaultBackoff
	}
	o.Poll = cmp.Or(o.Poll, time.Second)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	o.LeaseDuration = cmp.Or(o.LeaseDuration, 60*time.Second)
	o.WatchIdle = cmp.Or(o.WatchIdle, time.Hour)
	o.RecreateTimeout = cmp.Or(o.RecreateTimeout, 2*time.Minute)
	o.EstablishTimeout = cmp.Or(o.EstablishTimeout, time.Minute)
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Identity == "" {
		o.Identity = defaultIdentity()
	}
	return o
}

// defaultIdentity is "host (pid 4242, 9f86d081)".
func defaultIdentity() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown host"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s (pid %d, %s)", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Engine plans and applies rendered objects to one cluster. It is the only
// part of gitplane that talks to the Kubernetes API.
type Engine struct {
	client dynamic.Interface
	meta   metadata.Interface
	disco  discovery.CachedDiscoveryInterface
	mapper meta.ResettableRESTMapper
	opts   Options
	hashes hashCache
	watch  *watchCache // nil unless Options.Watch

	leaseMu sync.Mutex
	held    map[string]time.Time // Environments whose Lease this Engine holds, since when

	discoMu sync.Mutex // one discovery refresh at a time (see restMapping)

	// clusterSeen is the cluster the record was last found (or written)
	// to be: syncs of that cluster do not read the record again.
	clusterSeen atomic.Pointer[Cluster]
}

// New returns an Engine for the cluster cfg points at. Client-side rate
// limiting is relaxed (QPS 500) unless cfg sets its own: the engine bounds
// its concurrency itself, and server-side priority and fairness protects the
// API server.
func New(cfg *rest.Config, opts Options) (*Engine, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS, cfg.Burst = 500, 1000
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating Kubernetes client for %s: %w", cfg.Host, err)
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating metadata client for %s: %w", cfg.Host, err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("creating discovery client for %s: %w", cfg.Host, err)
	}
	cached := memory.NewMemCacheClient(dc)
	var watch *watchCache
	if opts.Watch {
		watch = newWatchCache()
	}
	return &Engine{
		watch:  watch,
		client: client,
		meta:   mc,
		disco:  cached,
		mapper: restmapper.NewDeferredDiscoveryRESTMapper(cached),
		opts:   opts.withDefaults(),
		held:   map[string]time.Time{},
	}, nil
}
