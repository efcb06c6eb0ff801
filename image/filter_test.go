//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"path"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func filterSample() []Summary {
	return []Summary{
		{ID: busyboxID, Names: []string{"docker.io/library/busybox:latest", "localhost:5000/library/busybox:v1"}, Created: now.Add(-2 * time.Hour), Labels: map[string]string{"team": "a", "tier": "base"}},
		{ID: alpineID, Names: []string{"docker.io/library/alpine:3.20"}, Created: now.Add(-3 * 24 * time.Hour), Labels: map[string]string{"team": "b"}},
		{ID: danglyID, Created: now.Add(-400 * 24 * time.Hour)},
	}
}

func TestImagesFilterShowsOnlyTheMatchingImages(t *testing.T) {
	tests := []struct {
		name    string
		filters []string
		want    []string // "ID4 name..." per image
	}{
		{"none", nil, []string{"6fd9 busybox:latest busybox:v1", "1d34 alpine:3.20", "0123"}},
		{"dangling", []string{"dangling=true"}, []string{"0123"}},
		{"not dangling", []string{"dangling=false"}, []string{"6fd9 busybox:latest busybox:v1", "1d34 alpine:3.20"}},
		{"familiar name", []string{"reference=busybox"}, []string{"6fd9 busybox:latest"}},
		{"full name", []string{"reference=localhost:5000/library/busybox"}, []string{"6fd9 busybox:v1"}},
		{"glob with tag", []string{"reference=*:3.*"}, []string{"1d34 alpine:3.20"}},
		{"glob over registry", []string{"reference=localhost:5000/*/*:v1"}, []string{"6fd9 busybox:v1"}},
		{"references are alternatives", []string{"reference=alpine", "reference=busybox:latest"}, []string{"6fd9 busybox:latest", "1d34 alpine:3.20"}},
		{"label key", []string{"label=team"}, []string{"6fd9 busybox:latest busybox:v1", "1d34 alpine:3.20"}},
		{"label value", []string{"label=team=b"}, []string{"1d34 alpine:3.20"}},
		{"labels all must match", []string{"label=team=a", "label=tier=base"}, []string{"6fd9 busybox:latest busybox:v1"}},
		{"labels none match", []string{"label=team=a", "label=tier=top"}, nil},
		{"before", []string{"before=busybox"}, []string{"1d34 alpine:3.20", "0123"}},
		{"since an id prefix", []string{"since=0123456"}, []string{"6fd9 busybox:latest busybox:v1", "1d34 alpine:3.20"}},
		{"since and dangling", []string{"since=alpine:3.20", "dangling=false"}, []string{"6fd9 busybox:latest busybox:v1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilters(tt.filters)
			require.NoError(t, err)
			got, err := f.Apply(filterSample())
			require.NoError(t, err)
			var short []string
			for _, s := range got {
				line := s.ID[:4]
				for _, n := range s.Names {
					line += " " + path.Base(n)
				}
				short = append(short, line)
			}
			assert.Equal(t, tt.want, short)
		})
	}
}

func TestImagesFilterRejectsBadFilters(t *testing.T) {
	tests := []struct{ filter, want string }{
		{"dangling=maybe", "dangling is true or false"},
		{"color=red", `unknown key "color"`},
		{"reference", "want KEY=VALUE"},
		{"reference=[", "syntax error"},
		{"label=", "label=KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := ParseFilters([]string{tt.filter})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	f, err := ParseFilters([]string{"before=nosuch"})
	require.NoError(t, err)
	_, err = f.Apply(filterSample())
	assert.ErrorIs(t, err, ErrNoSuchImage)
}
