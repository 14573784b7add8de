package ratelimit

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is a Store in Redis shared by every replica: redis_rate's GCRA for
// admission, and a script with the same arithmetic for settling.
type Redis struct {
	rdb redis.UniversalClient
	rl  *redis_rate.Limiter
}

// RedisOptions configures NewRedis.
type RedisOptions struct {
	Address      string
	Username     string        // ACL user; empty for Redis's default user
	PasswordFile string        // read at start and for each new connection; empty for none
	Timeout      time.Duration // per command; default 250ms
	// TLS connects over TLS (TLS 1.2 or later), verifying the server's
	// certificate for the address's host against RootCAs.
	TLS bool
	// RootCAs are the CAs a TLS server's certificate must chain to; nil
	// is the system's (the image's CA certificates).
	RootCAs *x509.CertPool
	// Cluster treats Address as a Redis Cluster's configuration endpoint:
	// commands go to the node holding each key's slot, following MOVED and
	// ASK (ElastiCache cluster mode enabled).
	Cluster bool
}

// NewRedis connects to the Redis at opts.Address. The password file is
// read now (a missing one is an error) and again for every new connection,
// so a rotated Secret reaches new connections without a restart.
func NewRedis(opts RedisOptions) (*Redis, error) {
	var creds *passwordFile
	if opts.PasswordFile != "" {
		creds = &passwordFile{user: opts.Username, path: opts.PasswordFile}
		if _, _, err := creds.credentials(context.Background()); err != nil {
			return nil, err
		}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 250 * time.Millisecond
	}
	var tlsConfig *tls.Config
	if opts.TLS {
		// The server name is each node's host (tls.Dial takes it from the
		// address): in a cluster, the address of the node it dials.
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: opts.RootCAs}
	}
	var credentials func(context.Context) (string, string, error)
	if creds != nil {
		credentials = creds.credentials
	}
	// One address: a plain client, or a cluster client with IsClusterMode.
	rdb := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs: []string{opts.Address}, IsClusterMode: opts.Cluster,
		Username: opts.Username, CredentialsProviderContext: credentials,
		DialTimeout: time.Second, ReadTimeout: timeout, WriteTimeout: timeout,
		TLSConfig: tlsConfig, DisableIdentity: true,
	})
	return &Redis{rdb: rdb, rl: redis_rate.NewLimiter(rdb)}, nil
}

// passwordFile is a mounted password, read for each new connection. When
// a read fails (the kubelet swapping the files), the last password read is
// used.
type passwordFile struct {
	user, path string
	mu         sync.Mutex
	last       string
}

func (p *passwordFile) credentials(context.Context) (string, string, error) {
	p.mu.Lock() // one read at a time, so an older read never overwrites last
	defer p.mu.Unlock()
	b, err := os.ReadFile(p.path)
	switch {
	case err == nil:
		p.last = strings.TrimSpace(string(b))
	case p.last == "":
		return "", "", fmt.Errorf("reading redis password: %w", err)
	}
	return p.user, p.last, nil
}

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("pinging redis: %w", err)
	}
	return nil
}

// Close closes the connections.
func (r *Redis) Close() error { return r.rdb.Close() }

// AllowN implements Store.
func (r *Redis) AllowN(ctx context.Context, key string, b Bucket, n int) (Result, error) {
	res, err := r.rl.AllowN(ctx, key, redis_rate.Limit{Rate: b.Rate, Burst: b.Burst, Period: b.Period}, n)
	if err != nil {
		return Result{}, fmt.Errorf("redis rate limit: %w", err)
	}
	return Result{Allowed: res.Allowed > 0, Remaining: res.Remaining, RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}, nil
}

// adjust moves the key's theoretical arrival time by cost emission
// intervals, never before now, deleting the key when the bucket is full
// again. The key is redis_rate's ("rate:" + key) and time is Redis's, as in
// its script.
var adjust = redis.NewScript(`
redis.replicate_commands()
local key = KEYS[1]
local rate = ARGV[1]
local period = ARGV[2]
local cost = tonumber(ARGV[3])
local emission_interval = period / rate
local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)
local tat = redis.call("GET", key)
if not tat then
  tat = now
else
  tat = tonumber(tat)
end
tat = math.max(tat, now) + emission_interval * cost
local reset_after = tat - now
if reset_after > 0 then
  redis.call("SET", key, tat, "EX", math.ceil(reset_after))
else
  redis.call("DEL", key)
end
return 0
`)

// Adjust implements Store.
func (r *Redis) Adjust(ctx context.Context, key string, b Bucket, n int) error {
	if err := adjust.Run(ctx, r.rdb, []string{"rate:" + key}, b.Rate, b.Period.Seconds(), n).Err(); err != nil {
		return fmt.Errorf("redis rate limit adjust: %w", err)
	}
	return nil
}
