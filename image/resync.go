//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"go.podman.io/storage"
	"go.podman.io/storage/pkg/lockfile"

	"github.com/urun/urun/image/local"
)

// lockRecords takes the lock writeRecord holds while it changes urun's
// image records, and returns its release.
func lockRecords(store storage.Store) (func(), error) {
	lock, err := lockfile.GetLockFile(filepath.Join(store.GraphRoot(), "urun-images.lock"))
	if err != nil {
		return nil, fmt.Errorf("lock the image records: %w", err)
	}
	lock.Lock()
	return lock.Unlock, nil
}

// Resync brings urun's records in line with the store after names moved
// or images went: each stored image gets a record (written if missing),
// with the store's names plus the names by digest it had; records of images no longer stored are
// deleted; the names file is rewritten from the records, so a name that
// was removed leads nowhere.
func Resync(ctx context.Context, store storage.Store) error {
	unlock, err := lockRecords(store)
	if err != nil {
		return err
	}
	defer unlock()
	return resyncLocked(ctx, store)
}

func resyncLocked(ctx context.Context, store storage.Store) error {
	root := store.GraphRoot()
	images, err := ownImages(store)
	if err != nil {
		return fmt.Errorf("list stored images: %w", err)
	}
	stored := map[string]bool{}
	var ids []string
	for i := range images {
		img := &images[i]
		stored[img.ID] = true
		rec, err := local.Read(root, img.ID)
		if errors.Is(err, local.ErrNotFound) {
			// Not recorded yet (a pull about to record it waits for
			// our lock) or never: record it, so that its names run.
			// One that cannot be read is left to the store alone.
			if rec, err = Record(ctx, store, img, nil); err != nil {
				continue
			}
			rec.Names = nil // set below
		} else if err != nil {
			return err
		}
		names := keptNames(img.Names, rec.Names)
		if rec.Names == nil || !slices.Equal(names, rec.Names) {
			rec.Names = names
			if err := local.Write(root, rec); err != nil {
				return err
			}
		}
		ids = append(ids, img.ID)
	}
	recorded, err := local.IDs(root)
	if err != nil {
		return err
	}
	for _, id := range recorded {
		if !stored[id] {
			if err := local.Remove(root, id); err != nil {
				return fmt.Errorf("remove the record of deleted image %s: %w", id, err)
			}
		}
	}
	return local.RewriteNames(root, ids)
}

// keptNames are the store's names followed by the record's names by
// digest, which the store does not keep; rmi drops those itself.
func keptNames(storeNames, recNames []string) []string {
	out := append([]string{}, storeNames...)
	for _, n := range recNames {
		if strings.Contains(n, "@") && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
