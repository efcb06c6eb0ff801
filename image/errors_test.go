//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/docker/distribution/registry/api/errcode"
	v2 "github.com/docker/distribution/registry/api/v2"
	"github.com/stretchr/testify/assert"
	"go.podman.io/image/v5/docker"
)

func TestPullErrorsSayWhatToDo(t *testing.T) {
	const name = "docker.io/library/nope:latest"
	wrap := func(err error) error {
		return fmt.Errorf("initializing source docker://nope:latest: reading manifest latest in docker.io/library/nope: %w", err)
	}
	tests := []struct {
		name  string
		err   error
		wants []string
	}{
		{"image not in the registry", wrap(errcode.Error{Code: v2.ErrorCodeManifestUnknown, Message: "manifest unknown"}),
			[]string{`manifest for nope:latest not found: manifest unknown: manifest unknown`}},
		{"repository not in the registry", wrap(errcode.Error{Code: v2.ErrorCodeNameUnknown, Message: "repository name not known to registry"}),
			[]string{`pull access denied for nope, repository does not exist or may require 'urun login': docker.io answered: repository name not known to registry`}},
		{"no credentials", wrap(docker.ErrUnauthorizedForCredentials{Err: errors.New("authentication required")}),
			[]string{"pull access denied for nope, repository does not exist", "urun login docker.io", "auth.json", "authentication required"}},
		{"registry denies", wrap(errcode.Error{Code: errcode.ErrorCodeDenied, Message: "requested access to the resource is denied"}),
			[]string{"pull access denied for nope, repository does not exist", "requested access to the resource is denied"}},
		{"rate limited", wrap(docker.ErrTooManyRequests), []string{"too many requests", "mirror"}},
		{"plain http registry", wrap(errors.New(`Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client`)),
			[]string{"serves plain http", "--tls-verify=false", "insecure = true"}},
		{"self-signed certificate", wrap(&url{x509.UnknownAuthorityError{}}), []string{"certificate", "not trusted", "certs.d/docker.io/ca.crt"}},
		{"unknown host", wrap(&net.DNSError{Name: "registry-1.docker.io", Err: "no such host", IsNotFound: true}),
			[]string{"registry docker.io is unreachable", "cannot resolve registry-1.docker.io"}},
		{"connection refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}),
			[]string{"registry docker.io is unreachable", "connection refused"}},
		{"interrupted", wrap(context.Canceled), []string{"pull " + name + ": interrupted"}},
		{"anything else", wrap(errors.New("disk full")), []string{"pull " + name + ": initializing source", "disk full"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explainPullError(name, "docker.io", tt.err).Error()
			for _, want := range tt.wants {
				assert.Contains(t, got, want)
			}
			// A missing image says so first, in Docker's words.
			if w := tt.wants[0]; strings.HasPrefix(w, "manifest for") || strings.HasPrefix(w, "pull access denied") {
				assert.True(t, strings.HasPrefix(got, w), "%q begins with %q", got, w)
			}
		})
	}
}

// url wraps an error as net/http's client does.
type url struct{ err error }

func (u *url) Error() string { return "Get \"https://r/v2/\": " + u.err.Error() }
func (u *url) Unwrap() error { return u.err }
