//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"fmt"
	"io"

	"github.com/docker/go-units"
	"go.podman.io/storage"

	"github.com/urun/urun/prunefilter"
)

// PruneOptions are `urun image prune`'s settings.
type PruneOptions struct {
	// All removes every image no container uses, not only those
	// without a name.
	All bool
	// InUse holds the ids of the images containers use: never removed.
	InUse map[string][]string
	// Filters keep the images that do not match them.
	Filters prunefilter.Filters
}

// Pruned is what Prune removed.
type Pruned struct {
	// Untagged and Deleted are the lines of Docker's report, in order.
	Lines []string
	// Reclaimed is the size of the layers deleted, in bytes.
	Reclaimed int64
}

// Prune deletes the images without a name (with All: every image) that
// no container uses, and their layers no other image uses.
func Prune(ctx context.Context, store storage.Store, o PruneOptions) (Pruned, error) {
	var p Pruned
	unlock, err := lockRecords(store)
	if err != nil {
		return p, err
	}
	defer unlock()
	images, err := ownImages(store)
	if err != nil {
		return p, fmt.Errorf("list stored images: %w", err)
	}
	layerSizes, err := layerSizes(store)
	if err != nil {
		return p, err
	}
	for i := range images {
		img := &images[i]
		if _, used := o.InUse[img.ID]; used || (!o.All && len(img.Names) > 0) {
			continue
		}
		if !o.Filters.IsZero() && !matchPruneFilters(store, img, o.Filters) {
			continue
		}
		for _, n := range references(store, img) {
			p.Lines = append(p.Lines, "untagged: "+n)
		}
		makeRoomToDelete(store, img.ID)
		layers, err := deleteImage(store, img.ID)
		if err != nil {
			return p, fmt.Errorf("delete image %s: %w", shortID(img.ID), err)
		}
		p.Lines = append(p.Lines, "deleted: sha256:"+img.ID)
		for _, l := range layers {
			p.Reclaimed += max(layerSizes[l], 0)
		}
	}
	return p, resyncLocked(ctx, store)
}

// matchPruneFilters matches the image's configuration labels and, as
// Docker, its configuration's creation time (the store's when the
// configuration has none). An image whose configuration cannot be read
// is kept: a filter asked for something it cannot tell.
func matchPruneFilters(store storage.Store, img *storage.Image, f prunefilter.Filters) bool {
	c, err := ReadConfigFile(store, img)
	if err != nil {
		return false
	}
	created := img.Created
	if c.Created != nil && !c.Created.IsZero() {
		created = *c.Created
	}
	return f.Match(c.Config.Labels, created)
}

// layerSizes maps each layer's id to its unpacked size (-1 unknown).
func layerSizes(store storage.Store) (map[string]int64, error) {
	layers, err := store.Layers()
	if err != nil {
		return nil, fmt.Errorf("list stored layers: %w", err)
	}
	sizes := make(map[string]int64, len(layers))
	for _, l := range layers {
		sizes[l.ID] = l.UncompressedSize
	}
	return sizes, nil
}

// WritePruned prints p as `docker image prune` does.
func WritePruned(w io.Writer, p Pruned) {
	if len(p.Lines) > 0 {
		fmt.Fprintln(w, "Deleted Images:")
		for _, l := range p.Lines {
			fmt.Fprintln(w, l)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Total reclaimed space: %s\n", units.HumanSize(float64(p.Reclaimed)))
}
