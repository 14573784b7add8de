package testenv

import (
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/gitplane/gitplane/render"
)

// WatchStreams counts, through a client's transport (rest.Config.Wrap),
// the watch responses held open by the Environment their label selector
// names, and the watch and other GET requests sent.
type WatchStreams struct {
	mu      sync.Mutex
	open    map[string]int
	started int // watch requests sent, in all
	lists   int // other GETs
}

// Wrap returns next with the counting in front; pass it to rest.Config.Wrap.
func (w *WatchStreams) Wrap(next http.RoundTripper) http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		q := r.URL.Query()
		watch := q.Get("watch") == "true" || q.Get("watch") == "1"
		w.mu.Lock()
		if watch {
			w.started++
		} else if r.Method == http.MethodGet {
			w.lists++
		}
		w.mu.Unlock()
		resp, err := next.RoundTrip(r)
		if err != nil || !watch || resp.StatusCode != http.StatusOK {
			return resp, err
		}
		env := strings.TrimPrefix(q.Get("labelSelector"), render.LabelEnvironment+"=")
		w.add(env, 1)
		resp.Body = &onClose{ReadCloser: resp.Body, closed: func() { w.add(env, -1) }}
		return resp, nil
	})
}

func (w *WatchStreams) add(env string, n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.open == nil {
		w.open = map[string]int{}
	}
	w.open[env] += n
}

// OpenFor returns how many watch responses for env are open.
func (w *WatchStreams) OpenFor(env string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.open[env]
}

// Counts returns the watch requests and the other GETs sent so far.
func (w *WatchStreams) Counts() (started, lists int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started, w.lists
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// onClose calls closed once, when the body is first closed.
type onClose struct {
	io.ReadCloser
	once   sync.Once
	closed func()
}

func (c *onClose) Close() error {
	err := c.ReadCloser.Close()
	c.once.Do(c.closed)
	return err
}
