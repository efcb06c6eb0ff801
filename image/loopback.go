//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"net"
	"strings"

	"go.podman.io/image/v5/types"
)

// isLoopbackRegistry reports whether registry (HOST[:PORT]) is on this
// host's loopback: localhost, 127.0.0.0/8 or ::1. Docker treats such a
// registry as insecure without being told.
func isLoopbackRegistry(registry string) bool {
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// trustLoopback lets sys talk plain http to registry, and skip the
// verification of its certificate, when registry is on the loopback and
// the user gave no --tls-verify, as Docker does for 127.0.0.0/8. A
// registry elsewhere is left to --tls-verify and registries.conf.
func trustLoopback(sys *types.SystemContext, registry string, tlsVerify *bool) {
	if tlsVerify == nil && isLoopbackRegistry(registry) {
		sys.DockerInsecureSkipTLSVerify = types.OptionalBoolTrue
	}
}
