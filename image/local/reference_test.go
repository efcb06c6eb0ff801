package local

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeWhatUsersType(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		name, ref, want string
	}{
		{"official image by short name", "alpine", "docker.io/library/alpine:latest"},
		{"official image with a tag", "alpine:3.20", "docker.io/library/alpine:3.20"},
		{"library path spelled out", "library/alpine", "docker.io/library/alpine:latest"},
		{"docker.io spelled out", "docker.io/alpine", "docker.io/library/alpine:latest"},
		{"index.docker.io is docker.io", "index.docker.io/library/alpine", "docker.io/library/alpine:latest"},
		{"user repository on Docker Hub", "someone/tool:v1", "docker.io/someone/tool:v1"},
		{"other registry", "quay.io/x/y", "quay.io/x/y:latest"},
		{"localhost registry with port", "localhost:5000/x", "localhost:5000/x:latest"},
		{"localhost without port", "localhost/x", "localhost/x:latest"},
		{"ip registry with port, nested path and tag", "127.0.0.1:5000/a/b:tag", "127.0.0.1:5000/a/b:tag"},
		{"pinned by digest", "alpine@" + digest, "docker.io/library/alpine@" + digest},
		{"tag and digest", "quay.io/x/y:1@" + digest, "quay.io/x/y:1@" + digest},
		{"registry port and digest", "localhost:5000/x@" + digest, "localhost:5000/x@" + digest},
		{"separators inside names", "my-org/my_app.web", "docker.io/my-org/my_app.web:latest"},
		{"tag with upper case", "alpine:Latest", "docker.io/library/alpine:Latest"},
		{"IPv6 registry", "[::1]:5000/x", "[::1]:5000/x:latest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Normalize(tt.ref)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestNormalizeRejectsMalformedReferences(t *testing.T) {
	tests := []struct {
		name, ref, wantErr string
	}{
		{"empty name", "", "empty"},
		{"upper case repository", "Alpine", "lowercase"},
		{"upper case path under a registry", "quay.io/X/y", "lowercase"},
		{"short digest", "alpine@sha256:abc", "digest"},
		{"unknown digest algorithm", "alpine@md5:" + strings.Repeat("a", 64), "digest"},
		{"upper case digest", "alpine@sha256:" + strings.Repeat("AB", 32), "digest"},
		{"empty tag", "alpine:", "tag"},
		{"tag starting with a dot", "alpine:.x", "tag"},
		{"tag too long", "alpine:" + strings.Repeat("t", 129), "tag"},
		{"empty path component", "quay.io//x", "empty path component"},
		{"trailing slash", "quay.io/x/", "empty path component"},
		{"separator at the start of a component", "-alpine", "must start and end"},
		{"space", "al pine", "not allowed"},
		{"registry without path", "quay.io/", "empty"},
		{"name too long", "quay.io/" + strings.Repeat("a", 260), "255"},
		{"a parent directory", "../x", "not a host name"},
		{"a registry with an empty component", "quay..io/x", "not a host name"},
		{"a registry with a bad port", "localhost:x5000/x", "port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Normalize(tt.ref)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "invalid reference format")
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
