package local

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDamagedNamesFileSaysHowToRepair(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, os.WriteFile(namesPath(root), []byte("not json"), 0o600))

	_, err := Find(root, "docker.io/library/alpine:latest")
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNotFound)
	assert.Contains(t, err.Error(), "pull again")
}

func TestPullingAgainRewritesADamagedNamesFile(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))
	require.NoError(t, os.WriteFile(namesPath(root), []byte("{"), 0o600))

	require.NoError(t, Write(root, testImage(idB, "docker.io/library/busybox:latest")))

	got, err := Find(root, "docker.io/library/busybox:latest")
	require.NoError(t, err)
	assert.Equal(t, idB, got.ID)
	old, err := Find(root, idA)
	require.NoError(t, err, "the record itself survives and is found by id")
	assert.Equal(t, idA, old.ID)
}

func TestReferenceLikeQueriesAreNotTakenForIDPrefixes(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest")))

	for _, query := range []string{"aaaa:latest", "aaaa/x", "aaa.1", "sha256:aa"} {
		t.Run(query, func(t *testing.T) {
			_, err := Find(root, query)
			assert.ErrorIs(t, err, ErrNotFound)
		})
	}
}

func TestRemovingAnImageKeepsOtherImagesNames(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, Write(root, testImage(idA, "docker.io/library/alpine:latest", "docker.io/library/alpine:3")))
	require.NoError(t, Write(root, testImage(idB, "docker.io/library/busybox:latest")))

	require.NoError(t, Remove(root, idA))

	names, err := readNames(root)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"docker.io/library/busybox:latest": idB}, names)
}
