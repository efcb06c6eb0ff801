package local

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testImage(id string, names ...string) *Image {
	return &Image{
		ID:     id,
		Names:  names,
		Digest: "sha256:" + id,
		Layers: []Layer{
			{ID: "base", Dir: "/store/overlay/base/diff", Link: "AAAA"},
			{ID: "top", Dir: "/store/overlay/top/diff", Link: "BBBB"},
		},
		LinkDir: "/store/overlay/l",
		Config: ImageConfig{
			Architecture: "amd64",
			OS:           "linux",
			Config:       RunConfig{Env: []string{"PATH=/bin"}, Cmd: []string{"sh"}, WorkingDir: "/"},
		},
	}
}

const (
	idA = "aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111aaaa1111"
	idB = "bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222bbbb2222"
	idC = "aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333aaaa3333"
)

func TestRunFindsAPulledImage(t *testing.T) {
	root := t.TempDir()
	img := testImage(idA, "docker.io/library/alpine:latest", "docker.io/library/alpine:3.20")
	require.NoError(t, Write(root, img))

	tests := []struct {
		name, query string
	}{
		{"by name", "docker.io/library/alpine:latest"},
		{"by second tag", "docker.io/library/alpine:3.20"},
		{"by full id", idA},
		{"by short id", idA[:12]},
		{"by id prefix of three", idA[:3]},
		{"by sha256: id", "sha256:" + idA[:12]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(root, tt.query)
			require.NoError(t, err)
			assert.Equal(t, img, got)
		})
	}
}

func TestRunReportsUnknownAndAmbiguousImages(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, Write(root, testImage(idC, "docker.io/library/busybox:latest")))

	tests := []struct {
		name, query, wantErr string
		notFound             bool
	}{
		{"unknown name", "docker.io/library/nope:latest", "not known locally", true},
		{"prefix too short", "aa", "not known locally", true},
		{"prefix of no image", "ccc", "not known locally", true},
		{"prefix of two images", "aaaa", "ambiguous", false},
		{"the names file is no id", "names", "not known locally", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Find(root, tt.query)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Equal(t, tt.notFound, errors.Is(err, ErrNotFound))
		})
	}
}

func TestFindInAStoreWithoutImages(t *testing.T) {
	_, err := Find(t.TempDir(), "docker.io/library/alpine:latest")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestPullingATagAgainMovesTheName(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, Write(root, testImage(idB, "docker.io/library/alpine:latest")))

	got, err := Find(root, "docker.io/library/alpine:latest")
	require.NoError(t, err)
	assert.Equal(t, idB, got.ID)
	old, err := Find(root, idA)
	require.NoError(t, err, "the old image stays reachable by id")
	assert.Equal(t, idA, old.ID)
}

func TestRemovingAnImageDropsItsNames(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, Write(root, testImage(idB, "docker.io/library/busybox:latest")))
	require.NoError(t, Remove(root, idA))

	_, err := Find(root, "docker.io/library/alpine:latest")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Read(root, idA)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Find(root, "docker.io/library/busybox:latest")
	assert.NoError(t, err)
	assert.NoError(t, Remove(root, idA), "removing twice is no error")
}

func TestDamagedRecordSaysHowToRepair(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, os.WriteFile(filepath.Join(Dir(root), idA+".json"), []byte("{"), 0o600))

	_, err := Read(root, idA)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pull the image again")
}

func TestRecordWriteLeavesNoTemporaryFiles(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	entries, err := os.ReadDir(Dir(root))
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{idA + ".json", "names.json"}, names)
}

func TestRunChoosesFuseOverlayfsForAStoreFilledByIt(t *testing.T) {
	tests := []struct {
		name    string
		content string // "" for no flag file
		want    bool
	}{
		{"new store", "", false},
		{"store of the kernel's overlay", "false", false},
		{"store filled by fuse-overlayfs", "true", true},
		{"flag with newline", "true\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.content != "" {
				require.NoError(t, os.MkdirAll(filepath.Join(root, "overlay"), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(root, "overlay", ".has-mount-program"), []byte(tt.content), 0o600))
			}
			assert.Equal(t, tt.want, NeedsFuseOverlayfs(root))
		})
	}
}
