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

	"github.com/docker/distribution/registry/api/errcode"
	"go.podman.io/image/v5/docker"
)

// explainRegistryError turns what the image library reports about a
// registry (for login, logout, push and search) into a message that says
// what to do. action says what was being done ("push X", "log in to R").
// The library's errors never carry a password, nor does this message.
func explainRegistryError(action, registry string, err error) error {
	var (
		coder   errcode.ErrorCoder
		unauth  docker.ErrUnauthorizedForCredentials
		netErr  *net.OpError
		dnsErr  *net.DNSError
		certErr x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: interrupted", action)
	case errors.As(err, &unauth):
		return fmt.Errorf("%s: unauthorized: check the username and password (%s answered: %w)", action, registry, unauth.Err)
	case errors.As(err, &coder) && (coder.ErrorCode() == errcode.ErrorCodeUnauthorized || coder.ErrorCode() == errcode.ErrorCodeDenied):
		return fmt.Errorf("%s: %s requires authentication or denied access: log in with 'urun login %s' (%w)", action, registry, registry, err)
	case errors.Is(err, docker.ErrTooManyRequests):
		return fmt.Errorf("%s: %s refused: too many requests; wait and try again: %w", action, registry, err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("%s: %s serves plain http: pass --tls-verify=false, or mark it insecure = true in registries.conf: %w", action, registry, err)
	case errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invErr):
		return fmt.Errorf("%s: the TLS certificate of %s is not trusted: add its CA as ~/.config/containers/certs.d/%s/ca.crt (or under /etc/containers/certs.d), or pass --tls-verify=false: %w", action, registry, registry, err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("%s: registry %s is unreachable: cannot resolve %s; check the name, the network and DNS: %w", action, registry, dnsErr.Name, err)
	case errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Errorf("%s: registry %s is unreachable; check the address, the network and $https_proxy: %w", action, registry, err)
	}
	return fmt.Errorf("%s: %w", action, err)
}
