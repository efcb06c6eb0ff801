//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestRmiOfANameUntagsWhatDockerUntags(t *testing.T) {
	const (
		latest = "docker.io/library/busybox:latest"
		v1     = "docker.io/library/busybox:v1"
		byDig  = "docker.io/library/busybox@sha256:feed"
		other  = "localhost:5000/busybox:latest"
	)
	tests := []struct {
		name string
		refs []string
		rm   string
		want []string
	}{
		{"one of two tags", []string{latest, v1, byDig}, latest, []string{latest}},
		{"last tag of its repository takes the digest along", []string{latest, byDig, other}, latest, []string{latest, byDig}},
		{"a name by digest alone", []string{latest, byDig}, byDig, []string{byDig}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, untagName(tt.refs, tt.rm))
		})
	}
}

func TestRepositoriesOfNames(t *testing.T) {
	got := repositories([]string{"docker.io/library/busybox:latest", "docker.io/library/busybox@sha256:feed", "localhost:5000/x:1", "docker.io/library/busybox:v1"})
	assert.Equal(t, []string{"docker.io/library/busybox", "localhost:5000/x"}, got)
}

func TestRecordsKeepNamesByDigestTheStoreLacks(t *testing.T) {
	got := keptNames([]string{"a/b:1"}, []string{"a/b:old", "a/b@sha256:feed"})
	assert.Equal(t, []string{"a/b:1", "a/b@sha256:feed"}, got, "a tag the store dropped goes, a name by digest stays")
}
