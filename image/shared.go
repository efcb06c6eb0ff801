//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// ListShared returns the images of the read-only shared stores
// (additionalimagestores) for `urun images`, marked ReadOnly. An image, or
// a name, that the own list or an earlier store has is the one urun runs:
// it is left out of the later store's.
func ListShared(stores []string, own []Summary) ([]Summary, error) {
	seenIDs, seenNames := map[string]bool{}, map[string]bool{}
	for _, s := range own {
		seenIDs[s.ID] = true
		for _, n := range s.Names {
			seenNames[n] = true
		}
	}
	var out []Summary
	for _, store := range stores {
		ids, err := local.IDs(store)
		if err != nil {
			return nil, &local.SharedStoreError{Store: store, Err: err}
		}
		sizes := sharedLayerSizes(store)
		var found []Summary
		for _, id := range ids {
			img, err := local.FindInStores([]string{store}, id)
			if err != nil {
				return nil, err
			}
			// A shared image tagged by the user is in the own list too,
			// under its new names: it keeps its shared names here.
			names := slices.DeleteFunc(slices.Clone(img.Names), func(n string) bool { return seenNames[n] })
			if len(names) == 0 && (len(img.Names) > 0 || seenIDs[id]) {
				continue
			}
			found = append(found, sharedSummary(img, names, sizes))
		}
		for _, s := range found {
			seenIDs[s.ID] = true
			for _, n := range s.Names {
				seenNames[n] = true
			}
		}
		out = append(out, found...)
	}
	return out, nil
}

func sharedSummary(img *local.Image, names []string, sizes map[string]int64) Summary {
	s := Summary{ID: img.ID, Names: names, Digest: img.Digest, Labels: img.Config.Config.Labels, ReadOnly: true, Size: 0}
	s.Created, _ = time.Parse(time.RFC3339Nano, img.Config.Created)
	for _, l := range img.Layers {
		n, ok := sizes[l.ID]
		if !ok {
			s.Size = -1
			break
		}
		s.Size += n
	}
	return s
}

// sharedLayerSizes reads the unpacked size of each layer of a store from the
// storage library's layer list, which it keeps with the layers; an
// unreadable list gives none (SIZE N/A), not an error.
func sharedLayerSizes(store string) map[string]int64 {
	data, err := os.ReadFile(filepath.Join(store, "overlay-layers", "layers.json"))
	if err != nil {
		return nil
	}
	var layers []struct {
		ID       string `json:"id"`
		DiffSize *int64 `json:"diff-size"`
	}
	if json.Unmarshal(data, &layers) != nil {
		return nil
	}
	sizes := make(map[string]int64, len(layers))
	for _, l := range layers {
		if l.DiffSize != nil {
			sizes[l.ID] = *l.DiffSize
		}
	}
	return sizes
}

// ownImages are the images of the own store: the storage library lists
// those of the shared stores (ReadOnly) as well, which urun neither
// records, nor prunes, nor settles.
func ownImages(store storage.Store) ([]storage.Image, error) {
	images, err := store.Images()
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(images, func(img storage.Image) bool { return img.ReadOnly }), nil
}

// deleteImage deletes image id of the own store and the layers only it
// uses. Of one made on a shared image (tagged, committed or built on it),
// the storage library deletes the record and the own layers, then fails
// on the first layer of the shared store, which is not its to delete:
// that is the end of the deletion, not a failure.
func deleteImage(store storage.Store, id string) ([]string, error) {
	layers, err := store.DeleteImage(id, true)
	if errors.Is(err, storage.ErrLayerUnknown) {
		if img, ierr := store.Image(id); errors.Is(ierr, storage.ErrImageUnknown) || (ierr == nil && img.ReadOnly) {
			return layers, nil
		}
	}
	return layers, err
}

// SharedImageError refuses to change an image of a read-only shared store.
type SharedImageError struct {
	Ref, ID, Store string
}

func (e *SharedImageError) Error() string {
	if e.Store == "" {
		return fmt.Sprintf("%s (%s) is in a read-only shared image store (additionalimagestores): urun changes only the images of its own store; the store's administrator removes it there",
			e.Ref, displayID(e.ID, false))
	}
	return fmt.Sprintf("%s (%s) is in the read-only shared image store %s (additionalimagestores): urun changes only the images of its own store; the store's administrator removes it there (urun --root %s rmi %s)",
		e.Ref, displayID(e.ID, false), e.Store, e.Store, e.Ref)
}

// FindShared returns the image ref names in a shared store when the own
// store (graphRoot) has none of that name: nil, nil when it is the own
// store's or nowhere.
func FindShared(graphRoot string, stores []string, ref string) (*local.Image, error) {
	if len(stores) == 0 {
		return nil, nil
	}
	name, err := local.Normalize(ref)
	if err != nil {
		name = ref
	}
	for _, n := range []string{name, ref} {
		if _, err := local.Find(graphRoot, n); err == nil || !errors.Is(err, local.ErrNotFound) {
			return nil, nil
		}
	}
	img, err := local.FindInStores(stores, name)
	if errors.Is(err, local.ErrNotFound) {
		img, err = local.FindInStores(stores, ref)
	}
	if errors.Is(err, local.ErrNotFound) {
		return nil, nil
	}
	return img, err
}
