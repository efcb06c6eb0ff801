package local

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAnUntaggedNameNoLongerFindsTheImage(t *testing.T) {
	root := t.TempDir()
	img := testImage(idA, "docker.io/library/alpine:latest", "docker.io/library/mine:latest")
	require.NoError(t, Write(root, img))
	require.NoError(t, Write(root, testImage(idB, "docker.io/library/busybox:latest")))

	img.Names = []string{"docker.io/library/alpine:latest"}
	require.NoError(t, Write(root, img))
	ids, err := IDs(root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{idA, idB}, ids)
	require.NoError(t, RewriteNames(root, ids))

	_, err = Find(root, "docker.io/library/mine:latest")
	assert.ErrorIs(t, err, ErrNotFound)
	got, err := Find(root, "docker.io/library/alpine:latest")
	require.NoError(t, err)
	assert.Equal(t, idA, got.ID)
	got, err = Find(root, "docker.io/library/busybox:latest")
	require.NoError(t, err)
	assert.Equal(t, idB, got.ID)
}
