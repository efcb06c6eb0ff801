package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// useShared makes dirs the shared stores for the test.
func useShared(t *testing.T, dirs ...string) {
	t.Helper()
	UseSharedStores(dirs)
	t.Cleanup(func() { UseSharedStores(nil) })
}

// storeImage writes an image record whose layers are under store.
func storeImage(t *testing.T, store, id string, names ...string) *Image {
	t.Helper()
	img := testImage(id, names...)
	img.LinkDir = filepath.Join(store, "overlay", "l")
	for i := range img.Layers {
		img.Layers[i].Dir = filepath.Join(store, "overlay", img.Layers[i].ID, "diff")
	}
	require.NoError(t, Write(store, img))
	return img
}

func TestRunFindsAnImageOfASharedStore(t *testing.T) {
	own, first, second := t.TempDir(), t.TempDir(), t.TempDir()
	storeImage(t, own, idA, "docker.io/library/mine:latest")
	storeImage(t, first, idB, "docker.io/library/tool:1", "docker.io/library/both:latest")
	storeImage(t, second, idC, "docker.io/library/other:latest", "docker.io/library/both:latest")
	useShared(t, first, second)

	tests := []struct {
		name, query, wantID, wantStore string
	}{
		{"own by name", "docker.io/library/mine:latest", idA, ""},
		{"shared by name", "docker.io/library/tool:1", idB, first},
		{"second shared store", "docker.io/library/other:latest", idC, second},
		{"the first store that has the name wins", "docker.io/library/both:latest", idB, first},
		{"shared by id prefix", idC[:12], idC, second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(own, tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, got.ID)
			assert.Equal(t, tt.wantStore, got.Store)
			if tt.wantStore != "" {
				assert.Equal(t, filepath.Join(tt.wantStore, "overlay", "top", "diff"), got.Layers[1].Dir)
			}
		})
	}

	// A container's monitor reads its image by id.
	got, err := Read(own, idB)
	require.NoError(t, err)
	assert.Equal(t, first, got.Store)

	_, err = Find(own, "docker.io/library/nowhere:latest")
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestTheOwnStoreIsSearchedAloneWithoutSharedStores(t *testing.T) {
	own, shared := t.TempDir(), t.TempDir()
	storeImage(t, shared, idB, "docker.io/library/tool:1")

	_, err := Find(own, "docker.io/library/tool:1")
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = Read(own, idB)
	assert.ErrorIs(t, err, ErrNotFound)
}

func TestASharedStoreCopiedElsewhereIsFoundWhereItIs(t *testing.T) {
	filled := "/export/build/urun" // where the administrator pulled
	shared := t.TempDir()          // where the nodes mount its copy
	img := testImage(idB, "docker.io/library/tool:1")
	img.LinkDir = filled + "/overlay/l"
	img.Layers[0].Dir = filled + "/overlay/base/diff"
	img.Layers[1].Dir = filled + "/overlay/top/diff"
	require.NoError(t, Write(shared, img))
	useShared(t, shared)

	got, err := Find(t.TempDir(), "docker.io/library/tool:1")
	require.NoError(t, err)
	assert.Equal(t, shared+"/overlay/l", got.LinkDir)
	assert.Equal(t, shared+"/overlay/base/diff", got.Layers[0].Dir)
	assert.Equal(t, shared+"/overlay/top/diff", got.Layers[1].Dir)
}

func TestAnUnreadableSharedStoreNamesTheFix(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads every store")
	}
	shared := t.TempDir()
	storeImage(t, shared, idB, "docker.io/library/tool:1")
	require.NoError(t, os.Chmod(Dir(shared), 0o000))
	t.Cleanup(func() { os.Chmod(Dir(shared), 0o700) })
	useShared(t, shared)

	_, err := Find(t.TempDir(), "docker.io/library/tool:1")
	var storeErr *SharedStoreError
	require.ErrorAs(t, err, &storeErr)
	assert.Contains(t, err.Error(), "chmod a+rx "+shared)
}

func TestAnImageOfTheCallersOwnIdsIsNotForeign(t *testing.T) {
	shared := t.TempDir()
	img := storeImage(t, shared, idB, "docker.io/library/tool:1")
	for _, l := range img.Layers {
		require.NoError(t, os.MkdirAll(l.Dir, 0o755))
	}
	img.Store = shared
	// The caller owns the layers (it wrote them): neither foreign nor
	// mounted otherwise than its own store's.
	assert.False(t, img.ForeignOwned())
	choice, err := RootfsFor(img, t.TempDir(), "auto")
	require.NoError(t, err)
	assert.Equal(t, RootfsChoice{Driver: "auto"}, choice)

	// An image of the caller's own store is never foreign.
	img.Store = ""
	assert.False(t, img.ForeignOwned())
}

func TestAFuseStoresImageIsMountedWithFuseOverlayfs(t *testing.T) {
	shared := t.TempDir()
	img := storeImage(t, shared, idB, "docker.io/library/tool:1")
	require.NoError(t, os.MkdirAll(filepath.Join(shared, "overlay"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(shared, "overlay", ".has-mount-program"), []byte("true"), 0o600))
	img.Store = shared

	choice, err := RootfsFor(img, t.TempDir(), "auto")
	require.NoError(t, err)
	assert.Equal(t, "fuse-overlayfs", choice.Driver)
}

// A shared image the user tagged (or committed, or built on) is a record
// of the own store whose base layer is the shared store's: it is mounted
// as that store's images are.
func TestAnOwnImageOnSharedLayersIsTheSharedStores(t *testing.T) {
	own, shared := t.TempDir(), t.TempDir()
	onShared := storeImage(t, shared, idB, "docker.io/library/tool:1")
	onShared.Names = []string{"docker.io/library/mine:1"}
	require.NoError(t, Write(own, onShared))
	storeImage(t, own, idA, "docker.io/library/plain:1")
	useShared(t, shared)

	for _, tt := range []struct{ name, query, wantStore string }{
		{"own image on shared layers", "docker.io/library/mine:1", shared},
		{"own image on own layers", "docker.io/library/plain:1", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Find(own, tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.wantStore, got.Store)
		})
	}
}
