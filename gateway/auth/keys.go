// Package auth authenticates gateway callers by API key. The keys come from
// a mounted Kubernetes Secret: one file per caller, named after the caller,
// holding that caller's key. Only SHA-256 hashes of the keys are kept, the
// directory is re-read when the kubelet swaps it (added, changed and removed
// keys take effect without a restart), and no key is ever logged.
package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// callerName is what a Secret key may be (and so a caller name).
var callerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$`)

// maxKeyBytes bounds a key file: an API key is a short token.
const maxKeyBytes = 4096

// Keys is the set of API keys, swapped atomically on reload.
type Keys struct {
	dir  string
	log  *slog.Logger
	snap atomic.Pointer[snapshot]
}

// snapshot maps the SHA-256 of each key to its caller. The presented key is
// never compared with a stored secret byte by byte: it is hashed and the
// hash looked up. What the lookup's timing can leak is about the hash, and
// the hash tells nothing about a key that would match (finding a SHA-256
// preimage is infeasible), so this is as safe as a constant-time compare.
// API keys are high-entropy tokens, so an unsalted fast hash suffices.
type snapshot struct {
	byHash  map[[sha256.Size]byte]string
	callers []string
}

// Options configures Load.
type Options struct {
	// Dir is the mounted Secret directory.
	Dir string
	// Logger receives reload messages (caller names and counts, never keys).
	Logger *slog.Logger
}

// Load reads the keys in opts.Dir. It fails when the directory cannot be read.
func Load(opts Options) (*Keys, error) {
	k := &Keys{dir: opts.Dir, log: opts.Logger}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Authenticate returns the caller whose key is key.
func (k *Keys) Authenticate(key string) (caller string, ok bool) {
	if key == "" {
		return "", false
	}
	c, found := k.snap.Load().byHash[sha256.Sum256([]byte(key))]
	return c, found
}

// Callers returns the callers that have a key, sorted.
func (k *Keys) Callers() []string { return slices.Clone(k.snap.Load().callers) }

// Reload re-reads the directory and swaps the key set. On error the old set stays.
func (k *Keys) Reload() error {
	s, err := read(k.dir, k.log)
	if err != nil {
		return err
	}
	old := k.snap.Swap(s)
	if old == nil || !slices.Equal(old.callers, s.callers) || !sameKeys(old, s) {
		k.log.Info("api keys loaded", "dir", k.dir, "callers", len(s.callers))
	}
	return nil
}

func sameKeys(a, b *snapshot) bool {
	if len(a.byHash) != len(b.byHash) {
		return false
	}
	for h, c := range a.byHash {
		if b.byHash[h] != c {
			return false
		}
	}
	return true
}

func read(dir string, log *slog.Logger) (*snapshot, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading api keys: %w", err)
	}
	s := &snapshot{byHash: map[[sha256.Size]byte]string{}}
	owners := map[[sha256.Size]byte][]string{}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") { // the kubelet's ..data and ..<timestamp> entries
			continue
		}
		if !callerName.MatchString(name) {
			log.Warn("api key file skipped: not a caller name", "file", name)
			continue
		}
		key, err := readKey(filepath.Join(dir, name))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) { // removed while we read
				continue
			}
			return nil, err
		}
		if key == "" {
			log.Warn("api key file skipped: empty", "caller", name)
			continue
		}
		h := sha256.Sum256([]byte(key))
		owners[h] = append(owners[h], name)
	}
	for h, names := range owners {
		if len(names) > 1 {
			log.Warn("callers share one api key; the key is refused for all of them", "callers", strings.Join(names, ","))
			continue
		}
		s.byHash[h] = names[0]
		s.callers = append(s.callers, names[0])
	}
	slices.Sort(s.callers)
	return s, nil
}

func readKey(path string) (string, error) {
	fi, err := os.Stat(path) // follows the kubelet's symlinks
	if err != nil {
		return "", fmt.Errorf("reading api key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", nil
	}
	if fi.Size() > maxKeyBytes {
		return "", fmt.Errorf("api key file %s: larger than %d bytes", filepath.Base(path), maxKeyBytes)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("reading api key: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// Watch reloads the keys whenever the directory changes (the kubelet swaps
// its ..data symlink) and, as a backstop for missed events, every poll
// interval (no polling when poll is 0). It returns when ctx is done.
func (k *Keys) Watch(ctx context.Context, poll time.Duration) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watching api keys: %w", err)
	}
	defer w.Close()
	if err := w.Add(k.dir); err != nil {
		return fmt.Errorf("watching api keys: %w", err)
	}
	k.reloadLogged() // changes between Load and Add raised no event
	var tick <-chan time.Time
	if poll > 0 {
		t := time.NewTicker(poll)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.Events:
			if !ok {
				return nil
			}
			k.reloadLogged()
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			k.log.Warn("watching api keys", "err", err)
		case <-tick:
			k.reloadLogged()
		}
	}
}

func (k *Keys) reloadLogged() {
	if err := k.Reload(); err != nil {
		k.log.Error("reloading api keys; keeping the previous set", "err", err)
	}
}

// BearerToken returns the key of an "Authorization: Bearer <key>" header value.
func BearerToken(header string) string {
	const prefix = "Bearer "
	if len(header) < len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return ""
	}
	return strings.TrimSpace(header[len(prefix):])
}
