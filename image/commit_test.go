//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/request"
)

func commitBase() *ConfigFile {
	created := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	return &ConfigFile{
		Created: &created, Architecture: "amd64", OS: "linux",
		Config: imagedoc.Config{
			Env: []string{"PATH=/bin"}, Cmd: []string{"sh"},
			ExposedPorts: map[string]struct{}{"80/tcp": {}},
			Volumes:      map[string]struct{}{"/data": {}},
			Healthcheck:  &imagedoc.Healthcheck{Test: []string{"CMD", "true"}},
			Labels:       map[string]string{"a": "1"},
		},
		RootFS:  ConfigRootFS{Type: "layers", DiffIDs: []digest.Digest{digest.FromString("l1"), digest.FromString("l2")}},
		History: []imgspecv1.History{{Created: &created, CreatedBy: "ADD"}, {Created: &created, CreatedBy: "RUN"}},
	}
}

func TestCommitGivesTheImageTheContainersConfiguration(t *testing.T) {
	now := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	ctr := request.RunConfig{
		User: "1000", Env: []string{"PATH=/bin", "MINE=1"}, Cmd: []string{"sh", "-c", "make"}, WorkingDir: "/src",
		Labels: map[string]string{"a": "1"}, StopSignal: "SIGINT", ExposedPorts: []string{"8080/tcp"},
	}
	tests := []struct {
		name    string
		changes []string
		check   func(t *testing.T, c imagedoc.Config)
	}{
		{"as the container runs", nil, func(t *testing.T, c imagedoc.Config) {
			assert.Equal(t, []string{"PATH=/bin", "MINE=1"}, c.Env)
			assert.Equal(t, []string{"sh", "-c", "make"}, c.Cmd)
			assert.Nil(t, c.Entrypoint)
			assert.Equal(t, "1000", c.User)
			assert.Equal(t, "/src", c.WorkingDir)
			assert.Equal(t, "SIGINT", c.StopSignal)
			assert.Equal(t, map[string]struct{}{"80/tcp": {}, "8080/tcp": {}}, c.ExposedPorts, "the image's ports and the published ones")
			assert.Equal(t, map[string]struct{}{"/data": {}}, c.Volumes, "the image's volumes")
			assert.Equal(t, []string{"CMD", "true"}, c.Healthcheck.Test, "the image's healthcheck")
		}},
		{"with --change", []string{`CMD ["echo","hi"]`, "ENV A=b", "LABEL b=2"}, func(t *testing.T, c imagedoc.Config) {
			assert.Equal(t, []string{"echo", "hi"}, c.Cmd)
			assert.Equal(t, []string{"PATH=/bin", "MINE=1", "A=b"}, c.Env)
			assert.Equal(t, map[string]string{"a": "1", "b": "2"}, c.Labels)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := commitBase()
			opts := CommitOptions{Config: ctr, Changes: tt.changes, Author: "Me <me@example.com>", Message: "saved", CreatedBy: "sh -c make"}
			c, err := commitConfig(base, opts, 2, now)
			require.NoError(t, err)
			tt.check(t, c.Config)
			assert.Equal(t, []string{"PATH=/bin"}, base.Config.Env, "the base image's configuration is left as it was")
			assert.Equal(t, "Me <me@example.com>", c.Author)
			assert.Equal(t, now, *c.Created)
			require.Len(t, c.History, 3)
			assert.Equal(t, imgspecv1.History{Created: &now, Author: "Me <me@example.com>", CreatedBy: "sh -c make", Comment: "saved"}, c.History[2])
			assert.Equal(t, base.RootFS.DiffIDs, c.RootFS.DiffIDs, "the new layer's diff id is added once it is written")
		})
	}
}

func TestCommitOfAnImageWithoutHistoryGivesEachLayerAnEntry(t *testing.T) {
	base := commitBase()
	base.History = nil
	c, err := commitConfig(base, CommitOptions{CreatedBy: "sh"}, 2, time.Now())
	require.NoError(t, err)
	require.Len(t, c.History, 3)
	assert.Equal(t, "sh", c.History[2].CreatedBy)
}

func TestCommitRefusesABadChange(t *testing.T) {
	_, err := commitConfig(commitBase(), CommitOptions{Changes: []string{"EXPOSE http"}}, 2, time.Now())
	assert.ErrorContains(t, err, "EXPOSE http")
}
