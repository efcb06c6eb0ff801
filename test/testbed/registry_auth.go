package testbed

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// RegistryOptions change the registry StartRegistryWith starts.
type RegistryOptions struct {
	// HtpasswdUser and HtpasswdPassword, when set, protect every request
	// with HTTP basic authentication (the registry's htpasswd auth, which
	// takes bcrypt entries only). The registry still serves plain HTTP:
	// distribution 2.8 does not require TLS for htpasswd, and clients send
	// credentials to a registry they treat as insecure. Registry.Push then
	// authenticates itself.
	HtpasswdUser, HtpasswdPassword string
}

// htpasswdConfig is the registry configuration's auth section.
const htpasswdConfig = `auth:
  htpasswd:
    realm: urun-test
    path: %s
`

// prepare writes what the options need in dir and returns the lines to
// add to the registry's configuration.
func (o RegistryOptions) prepare(dir string) ([]byte, error) {
	if o.HtpasswdUser == "" {
		return nil, nil
	}
	if strings.Contains(o.HtpasswdUser, ":") {
		return nil, fmt.Errorf("htpasswd user %q: a user name has no colon", o.HtpasswdUser)
	}
	// The lowest cost: the registry checks the hash on every request, and
	// the strength of a test password does not matter.
	hash, err := bcrypt.GenerateFromPassword([]byte(o.HtpasswdPassword), bcrypt.MinCost)
	if err != nil {
		return nil, fmt.Errorf("hash the htpasswd password: %w", err)
	}
	path := filepath.Join(dir, "htpasswd")
	if err := os.WriteFile(path, fmt.Appendf(nil, "%s:%s\n", o.HtpasswdUser, hash), 0o600); err != nil {
		return nil, err
	}
	return fmt.Appendf(nil, htpasswdConfig, path), nil
}

// client is the HTTP client of the registry's own requests (readiness,
// Push): with the htpasswd credentials when there are some.
func (o RegistryOptions) client() *http.Client {
	c := &http.Client{Timeout: 30 * time.Second}
	if o.HtpasswdUser != "" {
		c.Transport = basicAuth{user: o.HtpasswdUser, password: o.HtpasswdPassword, next: http.DefaultTransport}
	}
	return c
}

// basicAuth adds HTTP basic credentials to every request.
type basicAuth struct {
	user, password string
	next           http.RoundTripper
}

func (b basicAuth) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.SetBasicAuth(b.user, b.password)
	return b.next.RoundTrip(req)
}
