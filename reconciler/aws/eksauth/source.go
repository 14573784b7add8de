package eksauth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// DefaultRefreshBefore is how long before its reported expiry a cached token
// is replaced: a token is used for 9 of its 15 minutes.
const DefaultRefreshBefore = 5 * time.Minute

// TokenSource caches one cluster's token and signs a new one when fewer than
// RefreshBefore remain, or after Invalidate. It is safe for concurrent use.
type TokenSource struct {
	gen           *Generator
	cluster       string
	clock         clock.PassiveClock
	refreshBefore time.Duration
	log           *slog.Logger

	mu  sync.Mutex
	tok Token
}

// NewTokenSource returns a TokenSource for cluster. A refreshBefore of zero
// means DefaultRefreshBefore.
func NewTokenSource(gen *Generator, cluster string, clk clock.PassiveClock, refreshBefore time.Duration, log *slog.Logger) *TokenSource {
	if refreshBefore <= 0 {
		refreshBefore = DefaultRefreshBefore
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &TokenSource{gen: gen, cluster: cluster, clock: clk, refreshBefore: refreshBefore, log: log}
}

// Token returns the cached token, signing a new one when it is due.
func (s *TokenSource) Token(ctx context.Context) (Token, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fresh() {
		return s.tok, nil
	}
	tok, err := s.gen.Token(ctx, s.cluster)
	if err != nil {
		return Token{}, err
	}
	s.log.Debug("signed EKS token", "cluster", s.cluster, "expires", tok.Expiration)
	s.tok = tok
	return tok, nil
}

// Invalidate drops the cached token, e.g. after the API server answered 401.
func (s *TokenSource) Invalidate() {
	s.mu.Lock()
	s.tok = Token{}
	s.mu.Unlock()
}

func (s *TokenSource) fresh() bool {
	return s.tok.Value != "" && s.clock.Now().Before(s.tok.Expiration.Add(-s.refreshBefore))
}
