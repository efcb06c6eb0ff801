//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	"go.podman.io/image/v5/types"
)

func TestARegistryOnTheLoopbackIsInsecureUnlessTLSVerifyIsGiven(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		registry  string
		tlsVerify *bool
		insecure  bool
	}{
		{"127.0.0.1:5000", nil, true},
		{"127.1.2.3", nil, true},
		{"localhost:5000", nil, true},
		{"LOCALHOST", nil, true},
		{"[::1]:5000", nil, true},
		{"127.0.0.1:5000", &yes, false},
		{"127.0.0.1:5000", &no, false}, // the flag itself decides
		{"128.0.0.1:5000", nil, false},
		{"docker.io", nil, false},
		{"localhost.example.com", nil, false},
		{"[::2]:5000", nil, false},
	} {
		sys := &types.SystemContext{}
		trustLoopback(sys, tc.registry, tc.tlsVerify)
		if got := sys.DockerInsecureSkipTLSVerify == types.OptionalBoolTrue; got != tc.insecure {
			t.Errorf("registry %s, --tls-verify %v: insecure %v, want %v", tc.registry, tc.tlsVerify, got, tc.insecure)
		}
	}
}
