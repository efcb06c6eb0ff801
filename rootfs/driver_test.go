package rootfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRootfsDriverByName(t *testing.T) {
	tests := []struct {
		name string
		want Driver
	}{
		{"native", Native{}},
		{"fuse-overlayfs", FuseOverlayfs{}},
		{"auto", Auto{}},
		{"", Auto{}},
	}
	for _, tt := range tests {
		t.Run("name "+tt.name, func(t *testing.T) {
			got, err := ForName(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			wantName := tt.name
			if wantName == "" {
				wantName = "auto"
			}
			assert.Equal(t, wantName, got.Name())
		})
	}
}

func TestUnknownRootfsDriverIsAnError(t *testing.T) {
	for _, name := range []string{"overlay", "vfs", "Native", "fuse"} {
		t.Run(name, func(t *testing.T) {
			got, err := ForName(name)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), `rootfs driver "`+name+`"`)
			assert.Contains(t, err.Error(), "want auto, native or fuse-overlayfs")
		})
	}
}
