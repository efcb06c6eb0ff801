//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.podman.io/image/v5/types"
)

func TestParsePlatformReadsOSArchAndVariant(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Platform
	}{
		{"", Platform{}},
		{"linux/amd64", Platform{"linux", "amd64", ""}},
		{"linux/arm64/v8", Platform{"linux", "arm64", "v8"}},
		{"Linux/ARM/v7", Platform{"linux", "arm", "v7"}},
		{"linux/x86_64", Platform{"linux", "amd64", ""}},
		{"linux/aarch64", Platform{"linux", "arm64", ""}},
	} {
		got, err := ParsePlatform(c.in)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
	for _, bad := range []string{"linux", "linux/", "/amd64", "linux//v7", "linux/arm/v7/x"} {
		_, err := ParsePlatform(bad)
		if assert.Error(t, err, bad) {
			assert.Contains(t, err.Error(), "OS/ARCH", "the message shows the form")
		}
	}
}

func TestSetPlatformLeavesTheHostsWhenUnset(t *testing.T) {
	sys := &types.SystemContext{}
	setPlatform(sys, Platform{})
	assert.Empty(t, sys.OSChoice+sys.ArchitectureChoice+sys.VariantChoice)
	setPlatform(sys, Platform{"linux", "arm", "v7"})
	assert.Equal(t, []string{"linux", "arm", "v7"}, []string{sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice})
	assert.Equal(t, "linux/arm/v7", Platform{"linux", "arm", "v7"}.String())
}
