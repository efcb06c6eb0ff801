//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/lockfile"
)

// LayerWrites covers one command that adds layers to the store (pull,
// load) so that, if it fails, the layers it committed before failing can be
// taken out again: the image library commits each layer as soon as it is
// unpacked, and a pull whose third blob is corrupt would otherwise leave
// its first two in the store, belonging to no image.
//
// Each such command holds GRAPHROOT/urun-layer-writes.lock shared for its
// whole length, so pulls never wait for each other (the storage library's
// own locks order their layer writes). Discarding needs the lock
// exclusively, which it only tries: while another pull runs, a layer this
// one committed may already be reused by it, so they stay (the next pull
// of that image reuses them too).
type LayerWrites struct {
	store  storage.Store
	lock   *lockfile.LockFile
	before map[string]bool // ids of the layers stored when it began
	tmpDir string
}

// BeginLayerWrites takes the shared lock and notes the stored layers. It
// points sys's temporary files (blobs being downloaded) at
// GRAPHROOT/urun-tmp rather than /var/tmp, and, when no other pull runs,
// empties that directory of what a killed pull left there.
func BeginLayerWrites(store storage.Store, sys *types.SystemContext) (*LayerWrites, error) {
	root := store.GraphRoot()
	lock, err := lockfile.GetLockFile(filepath.Join(root, "urun-layer-writes.lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the store's layer writes: %w", err)
	}
	w := &LayerWrites{store: store, lock: lock, tmpDir: filepath.Join(root, "urun-tmp")}
	if lock.TryLock() == nil {
		// No pull runs: whatever is in urun-tmp is a killed pull's.
		err := os.RemoveAll(w.tmpDir)
		lock.Unlock()
		if err != nil {
			return nil, fmt.Errorf("remove the temporary files of an interrupted pull: %w", err)
		}
	}
	lock.RLock()
	if err := os.MkdirAll(w.tmpDir, 0o700); err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("create the pull's temporary directory: %w", err)
	}
	sys.BigFilesTemporaryDir = w.tmpDir
	layers, err := store.Layers()
	if err != nil {
		lock.Unlock()
		return nil, fmt.Errorf("list stored layers: %w", err)
	}
	w.before = make(map[string]bool, len(layers))
	for _, l := range layers {
		w.before[l.ID] = true
	}
	return w, nil
}

// Done releases the lock; after Discard it does nothing.
func (w *LayerWrites) Done() {
	if w.lock != nil {
		w.lock.Unlock()
		w.lock = nil
	}
}

// Discard deletes the layers stored since BeginLayerWrites that no image,
// container or other layer uses, if no other pull runs, and releases the
// lock. It reports what it could not delete; the failure that led to it
// matters more, so callers log this rather than return it.
func (w *LayerWrites) Discard() error {
	lock := w.lock
	if lock == nil {
		return nil
	}
	w.lock = nil
	lock.Unlock()
	if err := lock.TryLock(); err != nil {
		return nil // another pull runs
	}
	defer lock.Unlock()
	var errs []error
	// Delete from the top down: a layer with children cannot go first.
	for progress := true; progress; {
		progress = false
		layers, err := w.store.Layers()
		if err != nil {
			return fmt.Errorf("list stored layers: %w", err)
		}
		images, err := w.store.Images()
		if err != nil {
			return fmt.Errorf("list stored images: %w", err)
		}
		errs = errs[:0]
		for _, l := range layers {
			if w.before[l.ID] || hasChild(layers, l.ID) || usedByImage(images, l.ID) {
				continue
			}
			err := w.store.DeleteLayer(l.ID)
			switch {
			case err == nil:
				progress = true
			case errors.Is(err, storage.ErrLayerUsedByContainer), errors.Is(err, storage.ErrLayerHasChildren), errors.Is(err, storage.ErrLayerUnknown):
			default:
				errs = append(errs, fmt.Errorf("delete layer %s: %w", l.ID, err))
			}
		}
	}
	return errors.Join(errs...)
}

func hasChild(layers []storage.Layer, id string) bool {
	return slices.ContainsFunc(layers, func(l storage.Layer) bool { return l.Parent == id })
}

func usedByImage(images []storage.Image, id string) bool {
	return slices.ContainsFunc(images, func(img storage.Image) bool {
		return img.TopLayer == id || slices.Contains(img.MappedTopLayers, id)
	})
}

// discardFailedPull is Discard for a pull that failed: what it cannot
// delete is logged, the pull's own error is what the user sees.
func discardFailedPull(w *LayerWrites, name string) {
	if err := w.Discard(); err != nil {
		logrus.Warnf("pull %s failed; deleting the layers it had stored: %v", name, err)
	}
}
