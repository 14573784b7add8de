package webhook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v62/github"
)

const (
	// Path is where GitHub delivers webhooks.
	Path = "/webhooks/github"
	// DefaultMaxBodyBytes is GitHub's own cap on a webhook payload.
	DefaultMaxBodyBytes = 25 << 20
	// DefaultDedupSize is how many delivery IDs are remembered.
	DefaultDedupSize = 4096
	// DefaultQueueSize is how many accepted events may wait for the Receiver.
	DefaultQueueSize = 1024
	// DefaultReadTimeout bounds reading a delivery's body. GitHub gives up
	// on a delivery after 10 seconds, so a body still arriving then is not
	// GitHub's.
	DefaultReadTimeout = 10 * time.Second
)

// Options configures a Handler.
type Options struct {
	Secret   []byte   // the webhook secret; required
	Receiver Receiver // required
	// Repository is the owner/name whose events are acted on; events of
	// any other repository (an organization hook or a GitHub App sees them
	// all) are answered 200 and ignored. Required.
	Repository   string
	MaxBodyBytes int64         // DefaultMaxBodyBytes if zero
	ReadTimeout  time.Duration // DefaultReadTimeout if zero
	DedupSize    int           // DefaultDedupSize if zero
	QueueSize    int           // DefaultQueueSize if zero
	Logger       *slog.Logger
}

// Handler serves POST /webhooks/github. It answers 401 unless the body's
// X-Hub-Signature-256 matches the secret, 200 to pings, duplicate deliveries
// and events it does not act on, and 202 once an event is queued for the
// Receiver.
type Handler struct {
	opts    Options
	log     *slog.Logger
	seen    *dedup
	queue   chan func(context.Context)
	pending sync.WaitGroup
	stopped atomic.Bool
	// warnedDeadline is set once the missing read deadline was logged.
	warnedDeadline atomic.Bool
}

// New returns a Handler whose Receiver calls run until ctx ends.
func New(ctx context.Context, opts Options) (*Handler, error) {
	if len(opts.Secret) == 0 {
		return nil, errors.New("webhook: a secret is required")
	}
	if opts.Receiver == nil {
		return nil, errors.New("webhook: a Receiver is required")
	}
	if !IsRepositoryName(opts.Repository) {
		return nil, fmt.Errorf("webhook: the followed repository must be owner/name, not %q", opts.Repository)
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if opts.DedupSize <= 0 {
		opts.DedupSize = DefaultDedupSize
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Handler{
		opts:  opts,
		log:   opts.Logger.With("component", "webhook"),
		seen:  newDedup(opts.DedupSize),
		queue: make(chan func(context.Context), opts.QueueSize),
	}
	go h.dispatch(ctx)
	return h, nil
}

// dispatch calls the Receiver for queued events, in order. Once ctx ends
// it drops what is queued, so Wait returns.
func (h *Handler) dispatch(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			h.stopped.Store(true)
			for {
				select {
				case <-h.queue:
					h.pending.Done()
				default:
					return
				}
			}
		case call := <-h.queue:
			call(ctx)
			h.pending.Done()
		}
	}
}

// Wait blocks until every queued event has been handed to the Receiver.
func (h *Handler) Wait() { h.pending.Wait() }

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	payload, code, err := h.verify(w, r)
	if err != nil {
		h.log.Warn("rejected webhook delivery", "status", code, "error", err,
			"delivery", github.DeliveryID(r), "remote", r.RemoteAddr)
		http.Error(w, http.StatusText(code), code)
		return
	}
	code, msg := h.accept(github.WebHookType(r), github.DeliveryID(r), payload)
	h.log.Info("webhook delivery", "event", github.WebHookType(r), "delivery", github.DeliveryID(r), "status", code, "result", msg)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// verify reads the capped body and checks its signature; nothing is parsed
// before the signature matched. The body must arrive within ReadTimeout: a
// sender that declares a large Content-Length and then stalls does not hold
// the handler.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	r.Body = http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes)
	rc := http.NewResponseController(w)
	// net/http clears the deadline before it reads the connection's next
	// request.
	if err := rc.SetReadDeadline(time.Now().Add(h.opts.ReadTimeout)); err != nil && !h.warnedDeadline.Swap(true) {
		h.log.Warn("cannot bound webhook body reads in time: the ResponseWriter does not unwrap to a connection", "error", err)
	}
	if !strings.HasPrefix(r.Header.Get(github.SHA256SignatureHeader), "sha256=") {
		return nil, http.StatusUnauthorized, errors.New("missing " + github.SHA256SignatureHeader)
	}
	switch ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct {
	case "application/json", "application/x-www-form-urlencoded":
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("unsupported content type %q", ct)
	}
	payload, err := github.ValidatePayload(r, h.opts.Secret)
	var tooBig *http.MaxBytesError
	var timeout interface{ Timeout() bool }
	switch {
	case errors.As(err, &tooBig):
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body over %d bytes", tooBig.Limit)
	case errors.As(err, &timeout) && timeout.Timeout():
		return nil, http.StatusRequestTimeout, fmt.Errorf("body not received within %v", h.opts.ReadTimeout)
	case err != nil:
		return nil, http.StatusUnauthorized, fmt.Errorf("signature check: %w", err)
	}
	return payload, 0, nil
}

// IsRepositoryName reports whether name is a GitHub owner/name, the form
// Options.Repository takes.
func IsRepositoryName(name string) bool {
	owner, repo, ok := strings.Cut(name, "/")
	return ok && owner != "" && repo != "" && !strings.Contains(repo, "/")
}

// accept parses a verified payload and queues the event it carries.
func (h *Handler) accept(event, delivery string, payload []byte) (int, string) {
	switch event {
	case "ping":
		return http.StatusOK, "pong"
	case "push", "pull_request":
	default:
		return http.StatusOK, "ignored: event " + event
	}
	parsed, err := github.ParseWebHook(event, payload)
	if err != nil {
		return http.StatusBadRequest, "unparsable " + event + " payload"
	}
	if name := repositoryOf(parsed); !strings.EqualFold(name, h.opts.Repository) {
		return http.StatusOK, fmt.Sprintf("ignored: event for repository %q, not %s", name, h.opts.Repository)
	}
	call, what := h.callFor(parsed, delivery)
	if call == nil {
		return http.StatusOK, "ignored: " + what
	}
	if delivery != "" && !h.seen.add(delivery) {
		return http.StatusOK, "duplicate delivery"
	}
	if h.stopped.Load() {
		h.seen.forget(delivery)
		return http.StatusServiceUnavailable, "shutting down: redeliver later"
	}
	h.pending.Add(1)
	select {
	case h.queue <- call:
		return http.StatusAccepted, "accepted: " + what
	default:
		h.pending.Done()
		h.seen.forget(delivery)
		return http.StatusServiceUnavailable, "busy: redeliver later"
	}
}

// callFor returns the Receiver call for an event, nil if none is due, and a
// short description.
func (h *Handler) callFor(parsed any, delivery string) (func(context.Context), string) {
	switch e := parsed.(type) {
	case *github.PushEvent:
		ev, ok := pushEvent(e, delivery)
		if !ok {
			return nil, "push to " + e.GetRef()
		}
		return func(ctx context.Context) { h.opts.Receiver.Push(ctx, ev) }, "push to " + ev.Branch
	case *github.PullRequestEvent:
		ev, ok := prEvent(e, delivery)
		if !ok {
			return nil, "pull_request " + e.GetAction()
		}
		return func(ctx context.Context) { h.opts.Receiver.PullRequest(ctx, ev) }, fmt.Sprintf("pull_request #%d %s", ev.Number, ev.Action)
	}
	return nil, fmt.Sprintf("%T", parsed)
}
