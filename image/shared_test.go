//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/image/local"
)

// writeSharedImage records an image of one layer in store, with the
// storage library's layer list giving its size.
func writeSharedImage(t *testing.T, store, id, layer string, size int64, names ...string) {
	t.Helper()
	img := &local.Image{ID: id, Names: names, Layers: []local.Layer{{ID: layer, Dir: filepath.Join(store, "overlay", layer, "diff")}}}
	img.Config.Created = now.Add(-time.Hour).Format(time.RFC3339Nano)
	require.NoError(t, local.Write(store, img))
	require.NoError(t, os.MkdirAll(filepath.Join(store, "overlay-layers"), 0o700))
	list := `[{"id":"` + layer + `","diff-size":` + strconv.FormatInt(size, 10) + `}]`
	require.NoError(t, os.WriteFile(filepath.Join(store, "overlay-layers", "layers.json"), []byte(list), 0o600))
}

func TestImagesListsTheSharedStoresImagesReadOnly(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	writeSharedImage(t, first, alpineID, "l1", 7_800_000, "docker.io/library/alpine:latest", "docker.io/library/tool:1")
	writeSharedImage(t, second, danglyID, "l2", 1234, "docker.io/library/alpine:latest")
	own := []Summary{{ID: busyboxID, Names: []string{"docker.io/library/tool:1"}}}

	shared, err := ListShared([]string{first, second}, own)
	require.NoError(t, err)
	// alpine:latest is the first store's; tool:1 the own store's; the
	// second store's image has no name left to be run by.
	require.Len(t, shared, 1)
	assert.Equal(t, Summary{
		ID: alpineID, Names: []string{"docker.io/library/alpine:latest"}, Created: now.Add(-time.Hour),
		Size: 7_800_000, ReadOnly: true,
	}, shared[0])

	got := render(t, append(own, shared...), ListOptions{})
	assert.Equal(t, ""+
		"REPOSITORY   TAG       IMAGE ID       CREATED             SIZE      R/O\n"+
		"tool         1         6fd955f66c23   N/A                 0B        false\n"+
		"alpine       latest    1d34ffeaf190   About an hour ago   7.8MB     true\n", got)
}

func TestTheOwnStoresImageHidesTheSharedCopy(t *testing.T) {
	store := t.TempDir()
	writeSharedImage(t, store, alpineID, "l1", 10, "docker.io/library/alpine:latest")
	shared, err := ListShared([]string{store}, []Summary{{ID: alpineID, Names: []string{"docker.io/library/alpine:latest"}}})
	require.NoError(t, err)
	assert.Empty(t, shared)
}

// `urun tag SHARED NEW` copies the image's record into the own store: the
// shared image keeps the names the copy does not have.
func TestASharedImageTaggedByTheUserKeepsItsOtherNames(t *testing.T) {
	store := t.TempDir()
	writeSharedImage(t, store, alpineID, "l1", 10, "docker.io/library/alpine:latest")
	shared, err := ListShared([]string{store}, []Summary{{ID: alpineID, Names: []string{"docker.io/library/mine:1"}}})
	require.NoError(t, err)
	require.Len(t, shared, 1)
	assert.Equal(t, []string{"docker.io/library/alpine:latest"}, shared[0].Names)
}
