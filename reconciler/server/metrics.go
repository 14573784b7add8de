package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the loop's Prometheus collectors, on a registry of its own.
type metrics struct {
	registry        *prometheus.Registry
	syncDuration    *prometheus.HistogramVec
	lastSuccess     *prometheus.GaugeVec
	lastRevision    *prometheus.GaugeVec
	syncBlocked     *prometheus.GaugeVec
	objects         *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	fetchErrors     prometheus.Counter
	previewDuration *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		syncDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gitplane_reconcile_duration_seconds",
			Help:    "Duration of syncs (render, plan, apply, wait) by Environment and result (success, failure, blocked).",
			Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
		}, []string{"env", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gitplane_last_successful_sync_timestamp_seconds",
			Help: "Unix time of the last successful sync of each Environment.",
		}, []string{"env"}),
		lastRevision: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gitplane_last_synced_revision_info",
			Help: "The commit last synced successfully to each Environment (value 1).",
		}, []string{"env", "revision"}),
		syncBlocked: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "gitplane_sync_blocked",
			Help: "1 when the last sync of the Environment was blocked (a prune guard held deletions back), else 0.",
		}, []string{"env"}),
		objects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gitplane_objects_applied_total",
			Help: "Objects handled by syncs, by Environment and action (created, configured, deleted, unchanged).",
		}, []string{"env", "action"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gitplane_webhook_deliveries_total",
			Help: "GitHub webhook deliveries by event and HTTP result code.",
		}, []string{"event", "code"}),
		fetchErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gitplane_git_fetch_errors_total",
			Help: "Failed fetches of the Git repository.",
		}),
		previewDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gitplane_preview_duration_seconds",
			Help:    "Duration of pull-request previews by result.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"result"}),
	}
	m.registry.MustRegister(m.syncDuration, m.lastSuccess, m.lastRevision, m.syncBlocked, m.objects, m.deliveries, m.fetchErrors, m.previewDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
