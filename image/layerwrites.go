//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	"go.podman.io/storage/pkg/lockfile"

	"github.com/urun/urun/image/local"
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
	tmp    *TempDir
}

// BeginLayerWrites takes the shared lock and notes the stored layers. It
// points sys's temporary files (blobs being downloaded or copied) at a
// temporary directory of this command (tempfiles.go), which a later image
// command removes if this one is killed.
func BeginLayerWrites(store storage.Store, sys *types.SystemContext) (*LayerWrites, error) {
	root := store.GraphRoot()
	lock, err := lockfile.GetLockFile(filepath.Join(root, "urun-layer-writes.lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the store's layer writes: %w", err)
	}
	tmp, err := commandTempDir(root, "copy")
	if err != nil {
		return nil, err
	}
	w := &LayerWrites{store: store, lock: lock, tmp: tmp}
	lock.RLock()
	sys.BigFilesTemporaryDir = tmp.Path
	layers, err := store.Layers()
	if err != nil {
		lock.Unlock()
		tmp.Remove()
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
	w.tmp.Remove()
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
	w.tmp.Remove()
	lock.Unlock()
	if err := lock.TryLock(); err != nil {
		return nil // another pull runs
	}
	defer lock.Unlock()
	return deleteUnusedLayers(w.store, w.before)
}

// deleteUnusedLayers deletes the stored layers, other than those in keep
// and those the build cache names, that no image, container or other
// layer uses. The caller holds the layer-writes lock exclusively.
func deleteUnusedLayers(store storage.Store, keep map[string]bool) error {
	cached := cachedLayers(store.GraphRoot())
	for id := range keep {
		cached[id] = true
	}
	keep = cached
	var errs []error
	// Delete from the top down: a layer with children cannot go first.
	for progress := true; progress; {
		progress = false
		layers, err := store.Layers()
		if err != nil {
			return fmt.Errorf("list stored layers: %w", err)
		}
		images, err := store.Images()
		if err != nil {
			return fmt.Errorf("list stored images: %w", err)
		}
		errs = errs[:0]
		for _, l := range layers {
			if keep[l.ID] || l.ReadOnly || hasChild(layers, l.ID) || usedByImage(images, l.ID) {
				continue
			}
			err := store.DeleteLayer(l.ID)
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

// SweepOrphanLayers settles what a pull, load or import killed midway
// left: its image without urun's record (settleHalfMadeImages), and the
// layers that belong to no image (a pull commits each layer as soon as it
// is unpacked). It does so only while no such command runs (the
// layer-writes lock is free): a running one's layers have no image yet.
func SweepOrphanLayers(store storage.Store) error {
	lock, err := lockfile.GetLockFile(filepath.Join(store.GraphRoot(), "urun-layer-writes.lock"))
	if err != nil {
		return fmt.Errorf("lock the store's layer writes: %w", err)
	}
	if lock.TryLock() != nil {
		return nil
	}
	defer lock.Unlock()
	if err := settleHalfMadeImages(store); err != nil {
		return err
	}
	return deleteUnusedLayers(store, nil)
}

// settleHalfMadeImages settles the images a pull, load or import killed
// midway left without urun's record (urun writes it after the names,
// under the layer-writes lock the caller holds). One the storage library
// had not named yet is deleted. One it had named is whole (the names come
// last in its copy) and gets its record: the kill came between the two.
// An image left without a name by a later tag or rmi -f keeps its record.
func settleHalfMadeImages(store storage.Store) error {
	images, err := ownImages(store)
	if err != nil {
		return fmt.Errorf("list stored images: %w", err)
	}
	var errs []error
	for _, img := range images {
		if _, err := local.Read(store.GraphRoot(), img.ID); !errors.Is(err, local.ErrNotFound) {
			continue
		}
		if len(img.Names) > 0 {
			if _, err := writeRecord(context.Background(), store, &img, nil); err != nil {
				errs = append(errs, fmt.Errorf("record the image %s an interrupted command stored: %w", img.ID, err))
			}
			continue
		}
		if _, err := store.DeleteImage(img.ID, true); err != nil && !errors.Is(err, storage.ErrImageUnknown) {
			errs = append(errs, fmt.Errorf("delete the image %s an interrupted command left: %w", img.ID, err))
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
