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
	v2 "github.com/docker/distribution/registry/api/v2"
	"go.podman.io/image/v5/docker"
)

// explainPullError turns what the image library reports into a message
// that says what went wrong and what to do about it.
func explainPullError(name, registry string, err error) error {
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
		return fmt.Errorf("pull %s: interrupted", name)
	case errors.As(err, &coder) && (coder.ErrorCode() == v2.ErrorCodeManifestUnknown || coder.ErrorCode() == v2.ErrorCodeNameUnknown):
		return fmt.Errorf("image %q not found: %s (check the name and tag)", name, registryMessage(coder))
	case errors.As(err, &unauth) || errors.As(err, &coder) && (coder.ErrorCode() == errcode.ErrorCodeUnauthorized || coder.ErrorCode() == errcode.ErrorCodeDenied):
		return fmt.Errorf("pull %s: access denied by %s: the image does not exist or needs credentials; log in with 'podman login %s' or 'skopeo login %s' (credentials are read from $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json and ~/.docker/config.json): %w", name, registry, registry, registry, err)
	case errors.Is(err, docker.ErrTooManyRequests):
		return fmt.Errorf("pull %s: %s refused: too many requests; wait and try again, log in to raise the limit, or configure a mirror in registries.conf: %w", name, registry, err)
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("pull %s: %s serves plain http: pass --tls-verify=false, or mark it insecure = true in registries.conf: %w", name, registry, err)
	case errors.As(err, &certErr) || errors.As(err, &hostErr) || errors.As(err, &invErr):
		return fmt.Errorf("pull %s: the TLS certificate of %s is not trusted: add its CA as ~/.config/containers/certs.d/%s/ca.crt (or under /etc/containers/certs.d), or pass --tls-verify=false: %w", name, registry, registry, err)
	case errors.As(err, &dnsErr):
		return fmt.Errorf("pull %s: registry %s is unreachable: cannot resolve %s; check the name, the network and DNS: %w", name, registry, dnsErr.Name, err)
	case errors.As(err, &netErr) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENETUNREACH) || errors.Is(err, syscall.EHOSTUNREACH):
		return fmt.Errorf("pull %s: registry %s is unreachable; check the network, $https_proxy, and the mirrors in registries.conf: %w", name, registry, err)
	}
	return fmt.Errorf("pull %s: %w", name, err)
}

// registryMessage is the registry's own words for an error code.
func registryMessage(coder errcode.ErrorCoder) string {
	if e, ok := coder.(errcode.Error); ok && e.Message != "" {
		return e.Message
	}
	return coder.ErrorCode().Message()
}
