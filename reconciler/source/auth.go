package source

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// tokenUser is the user name GitHub expects with an installation or personal
// access token over HTTPS.
const tokenUser = "x-access-token"

// authMethod builds the transport credentials for one fetch. Files are read
// each time so rotated tokens and keys are picked up without a restart.
func authMethod(opts Options) (transport.AuthMethod, error) {
	switch {
	case opts.TokenFile != "" && opts.SSHKeyFile != "":
		return nil, fmt.Errorf("both a token file and an SSH key file are set: choose one")
	case opts.TokenFile != "":
		return tokenAuth(opts.TokenFile)
	case opts.SSHKeyFile != "":
		return sshAuth(opts.URL, opts.SSHKeyFile, opts.SSHKnownHostsFile)
	}
	return nil, nil
}

func tokenAuth(file string) (transport.AuthMethod, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading git token file: %w", err)
	}
	token := strings.TrimSpace(string(raw))
	if token == "" {
		return nil, fmt.Errorf("git token file %s is empty", file)
	}
	return &githttp.BasicAuth{Username: tokenUser, Password: token}, nil
}

func sshAuth(repoURL, keyFile, knownHosts string) (transport.AuthMethod, error) {
	keys, err := gitssh.NewPublicKeysFromFile(sshUser(repoURL), keyFile, "")
	if err != nil {
		return nil, fmt.Errorf("loading SSH key %s: %w", keyFile, err)
	}
	if knownHosts != "" {
		cb, err := gitssh.NewKnownHostsCallback(knownHosts)
		if err != nil {
			return nil, fmt.Errorf("loading SSH known hosts %s: %w", knownHosts, err)
		}
		keys.HostKeyCallback = cb
	}
	return keys, nil
}

// sshUser is the user of an ssh:// or scp-like (git@host:path) URL, "git" if
// it names none.
func sshUser(repoURL string) string {
	if u, err := url.Parse(repoURL); err == nil && u.User != nil && u.User.Username() != "" {
		return u.User.Username()
	}
	if at := strings.Index(repoURL, "@"); at > 0 && !strings.Contains(repoURL[:at], "/") {
		return repoURL[:at]
	}
	return "git"
}

// redact removes credentials from a URL so it can be logged.
func redact(repoURL string) string {
	u, err := url.Parse(repoURL)
	if err != nil || u.User == nil {
		return repoURL
	}
	return u.Redacted()
}
