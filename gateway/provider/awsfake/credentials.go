package awsfake

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Credential is an access key a stand-in accepts. The values are fake and
// valid nowhere but in a stand-in.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expires, when set, is the instant from which the stand-in answers
	// 403 ExpiredTokenException for this key (judged by the stand-in's clock).
	Expires time.Time
}

// DefaultCredential is the temporary key every stand-in accepts unless
// Options.Credentials says otherwise. It carries a session token, as IRSA
// credentials do.
var DefaultCredential = Credential{
	AccessKeyID:     "ASIAFAKEGITPLANEGATEWAY",
	SecretAccessKey: "fake/secret/for/gateway/tests/only",
	SessionToken:    "fake-session-token-for-gateway-tests",
}

// AWS returns c as aws.Credentials, expiring at c.Expires when set.
func (c Credential) AWS() aws.Credentials {
	return aws.Credentials{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey,
		SessionToken:    c.SessionToken,
		Source:          "awsfake",
		CanExpire:       !c.Expires.IsZero(),
		Expires:         c.Expires,
	}
}

// Provider returns an aws.CredentialsProvider that always hands out c.
func (c Credential) Provider() aws.CredentialsProvider {
	creds := c.AWS()
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return creds, nil
	})
}

// keyring holds the keys a stand-in accepts, changeable at run time.
type keyring struct {
	mu   sync.RWMutex
	keys map[string]Credential
}

// newKeyring returns a keyring holding creds, or DefaultCredential when
// creds is empty.
func newKeyring(creds []Credential) *keyring {
	if len(creds) == 0 {
		creds = []Credential{DefaultCredential}
	}
	k := &keyring{keys: make(map[string]Credential, len(creds))}
	for _, c := range creds {
		k.keys[c.AccessKeyID] = c
	}
	return k
}

// get returns the key with id.
func (k *keyring) get(id string) (Credential, bool) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	c, ok := k.keys[id]
	return c, ok
}

// add accepts c from now on, replacing a key with the same id.
func (k *keyring) add(c Credential) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.keys[c.AccessKeyID] = c
}

// revoke stops accepting the key with id.
func (k *keyring) revoke(id string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.keys, id)
}
