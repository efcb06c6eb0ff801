//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.podman.io/storage"
	"go.podman.io/storage/pkg/lockfile"

	"github.com/urun/urun/atomicfile"
)

// The build cache: one file per build step that was run, named by the
// step's key (a digest of everything its result depends on), holding the
// state the step left (CacheEntry). Its layers belong to no image until
// an image uses them, so the sweeps of unused layers keep every layer an
// entry names; an entry whose layer went (`urun rmi` deletes an image's
// layers) is a miss. Entries are written whole (renamed into place), so
// concurrent builds of one step leave one good entry.

// CacheEntry is the state of a build after a step.
type CacheEntry struct {
	// TopLayer is the store's id of the stage's top layer ("" for none).
	TopLayer string
	// Layers are the stage's layers from the base up.
	Layers []NewLayer
	// Config is the image configuration as it stands after the step.
	Config json.RawMessage
}

// BuildCacheDir is where the build cache's entries live.
func BuildCacheDir(graphRoot string) string { return filepath.Join(graphRoot, "urun-build-cache") }

// BuildCacheMountsDir holds the directories of RUN --mount=type=cache.
func BuildCacheMountsDir(graphRoot string) string {
	return filepath.Join(BuildCacheDir(graphRoot), "mounts")
}

func cacheEntriesDir(graphRoot string) string {
	return filepath.Join(BuildCacheDir(graphRoot), "entries")
}

// LookupBuildCache returns the entry of key, or nil when there is none or
// its layers are no longer stored.
func LookupBuildCache(store storage.Store, key string) (*CacheEntry, error) {
	data, err := os.ReadFile(filepath.Join(cacheEntriesDir(store.GraphRoot()), key+".json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the build cache: %w", err)
	}
	var e CacheEntry
	if err := json.Unmarshal(data, &e); err != nil {
		return nil, nil // a damaged entry is a miss; the step's run rewrites it
	}
	if e.TopLayer != "" {
		if _, err := store.Layer(e.TopLayer); err != nil {
			return nil, nil
		}
	}
	return &e, nil
}

// StoreBuildCache writes key's entry.
func StoreBuildCache(graphRoot, key string, e *CacheEntry) error {
	dir := cacheEntriesDir(graphRoot)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the build cache: %w", err)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode a build cache entry: %w", err)
	}
	if err := atomicfile.Write(filepath.Join(dir, key+".json"), data); err != nil {
		return fmt.Errorf("write the build cache: %w", err)
	}
	return nil
}

// cachedLayers are the layers the build cache's entries name.
func cachedLayers(graphRoot string) map[string]bool {
	keep := map[string]bool{}
	dir := cacheEntriesDir(graphRoot)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return keep
	}
	for _, de := range entries {
		if !strings.HasSuffix(de.Name(), ".json") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			continue
		}
		var e CacheEntry
		if json.Unmarshal(data, &e) == nil && e.TopLayer != "" {
			keep[e.TopLayer] = true
		}
	}
	return keep
}

// PruneBuildCache empties the build cache (`urun builder prune`): its
// entries, the cache mounts' directories, and the layers only it used.
// It waits for running builds and pulls to end. It returns the number of
// entries removed and the bytes freed.
func PruneBuildCache(store storage.Store) (int, int64, error) {
	lock, err := lockfile.GetLockFile(filepath.Join(store.GraphRoot(), "urun-layer-writes.lock"))
	if err != nil {
		return 0, 0, fmt.Errorf("lock the store's layer writes: %w", err)
	}
	lock.Lock()
	defer lock.Unlock()
	dir := cacheEntriesDir(store.GraphRoot())
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, 0, fmt.Errorf("read the build cache: %w", err)
	}
	before := storedLayersSize(store)
	mounts := BuildCacheMountsDir(store.GraphRoot())
	freed := diskUsage(mounts)
	n := 0
	for _, de := range entries {
		if err := os.Remove(filepath.Join(dir, de.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return n, 0, fmt.Errorf("remove a build cache entry: %w", err)
		}
		if strings.HasSuffix(de.Name(), ".json") {
			n++
		}
	}
	if err := removeAll(mounts); err != nil {
		return n, 0, fmt.Errorf("remove the cache mounts: %w", err)
	}
	err = deleteUnusedLayers(store, nil)
	if after := storedLayersSize(store); after < before {
		freed += before - after
	}
	return n, freed, err
}

// storedLayersSize is the uncompressed size of every stored layer.
func storedLayersSize(store storage.Store) int64 {
	layers, err := store.Layers()
	if err != nil {
		return 0
	}
	var n int64
	for _, l := range layers {
		if l.UncompressedSize > 0 {
			n += l.UncompressedSize
		}
	}
	return n
}

// diskUsage is the size of the files under dir.
func diskUsage(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}
