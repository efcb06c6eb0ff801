package rootfs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOverlayOptionsListLayersTopFirst(t *testing.T) {
	tests := []struct {
		name   string
		layers Layers
		extra  []string
		want   string
	}{
		{
			name:   "one lower layer",
			layers: Layers{Lower: []string{"/l/base"}, Upper: "/c/diff", Work: "/c/work"},
			want:   "lowerdir=/l/base,upperdir=/c/diff,workdir=/c/work",
		},
		{
			name:   "lower layers keep their order",
			layers: Layers{Lower: []string{"/l/top", "/l/mid", "/l/base"}, Upper: "/c/diff", Work: "/c/work"},
			want:   "lowerdir=/l/top:/l/mid:/l/base,upperdir=/c/diff,workdir=/c/work",
		},
		{
			name:   "short link names relative to Dir",
			layers: Layers{Lower: []string{"BBBB", "AAAA"}, Dir: "/store/overlay/l", Upper: "/c/diff", Work: "/c/work"},
			want:   "lowerdir=BBBB:AAAA,upperdir=/c/diff,workdir=/c/work",
		},
		{
			name:   "extra options come last, in order",
			layers: Layers{Lower: []string{"/l/base"}, Upper: "/c/diff", Work: "/c/work"},
			extra:  []string{"userxattr", "volatile"},
			want:   "lowerdir=/l/base,upperdir=/c/diff,workdir=/c/work,userxattr,volatile",
		},
		{
			name:   "without an upper layer the mount is read-only",
			layers: Layers{Lower: []string{"/c/diff", "/l/base"}},
			extra:  []string{"userxattr"},
			want:   "lowerdir=/c/diff:/l/base,userxattr",
		},
		{
			name:   "paths with spaces and '=' are fine",
			layers: Layers{Lower: []string{"/l/my layer=1"}, Upper: "/c/d", Work: "/c/w"},
			want:   "lowerdir=/l/my layer=1,upperdir=/c/d,workdir=/c/w",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.layers.options(tt.extra...)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestOverlayOptionsRefuseWhatOverlayCannotCarry(t *testing.T) {
	tests := []struct {
		name    string
		layers  Layers
		wantErr string
	}{
		{"no lower layers", Layers{Upper: "/c/diff", Work: "/c/work"}, "no lower layers"},
		{"empty lower list", Layers{Lower: []string{}, Upper: "/c/diff", Work: "/c/work"}, "no lower layers"},
		{"comma in a lower layer", Layers{Lower: []string{"/l/a,b"}, Upper: "/c/diff", Work: "/c/work"}, `"/l/a,b"`},
		{"colon in a lower layer", Layers{Lower: []string{"/l/ok", "/l/a:b"}, Upper: "/c/diff", Work: "/c/work"}, `"/l/a:b"`},
		{"comma in the upper layer", Layers{Lower: []string{"/l/a"}, Upper: "/c/d,iff", Work: "/c/work"}, `"/c/d,iff"`},
		{"colon in the work directory", Layers{Lower: []string{"/l/a"}, Upper: "/c/diff", Work: "/c/wo:rk"}, `"/c/wo:rk"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.layers.options("userxattr")
			require.Error(t, err)
			assert.Empty(t, got)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestNativeOverlayRefusesOptionsOverAPage(t *testing.T) {
	lower := make([]string, 200)
	for i := range lower {
		lower[i] = "/store/overlay/" + strings.Repeat("x", 60)
	}
	err := Native{}.Mount(Layers{Lower: lower, Upper: "/c/diff", Work: "/c/work"}, t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "too many layers")
}

func TestNativeOverlayRefusesBadLayersBeforeMounting(t *testing.T) {
	err := Native{}.Mount(Layers{Upper: "/c/diff", Work: "/c/work"}, t.TempDir())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no lower layers")
}
