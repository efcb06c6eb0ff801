//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/storage"

	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/local"
)

// Record builds urun's record of a stored image: its layers from the base
// up, with the overlay driver's diff directory of each and its short link
// name, and its configuration. extraNames are names the store does not
// keep (a reference by digest) under which urun should find the image.
func Record(ctx context.Context, store storage.Store, img *storage.Image, extraNames []string) (*local.Image, error) {
	rec, err := layerChain(store, img.TopLayer)
	if err != nil {
		return nil, fmt.Errorf("record image %s: %w", img.ID, err)
	}
	rec.ID = img.ID
	rec.Names = mergeNames(img.Names, extraNames)
	rec.Digest = img.Digest.String()

	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return nil, fmt.Errorf("record image %s: %w", img.ID, err)
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("record image %s: read it from the store: %w", img.ID, err)
	}
	defer src.Close()
	oci, err := src.OCIConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("record image %s: read its configuration: %w", img.ID, err)
	}
	// The OCI configuration and urun's subset share their JSON names.
	data, err := json.Marshal(oci)
	if err != nil {
		return nil, fmt.Errorf("record image %s: encode its configuration: %w", img.ID, err)
	}
	if err := json.Unmarshal(data, &rec.Config); err != nil {
		return nil, fmt.Errorf("record image %s: decode its configuration: %w", img.ID, err)
	}
	// OCI's configuration has no HEALTHCHECK; Docker's, the blob as
	// stored, does.
	if blob, err := src.ConfigBlob(ctx); err == nil {
		var docker struct {
			Config struct {
				Healthcheck *imagedoc.Healthcheck
			} `json:"config"`
		}
		if json.Unmarshal(blob, &docker) == nil {
			rec.Config.Config.Healthcheck = docker.Config.Healthcheck
		}
	}
	return rec, nil
}

// LayerChain is a record of the layer top and those below it, with their
// directories as urun mounts them (local.Image.LowerDirs), and nothing
// else: what a build step mounts under its new layer.
func LayerChain(store storage.Store, top string) (*local.Image, error) {
	return layerChain(store, top)
}

func layerChain(store storage.Store, top string) (*local.Image, error) {
	driver, err := store.GraphDriver()
	if err != nil {
		return nil, err
	}
	rec := &local.Image{Layers: []local.Layer{}}
	for id := top; id != ""; {
		layer, err := store.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", id, err)
		}
		// The driver's Metadata is its public account of a layer's
		// directories; UpperDir is the layer's own unpacked tree.
		meta, err := driver.Metadata(id)
		if err != nil {
			return nil, fmt.Errorf("directories of layer %s: %w", id, err)
		}
		dir := meta["UpperDir"]
		if dir == "" {
			return nil, fmt.Errorf("the %s driver names no directory for layer %s", store.GraphDriverName(), id)
		}
		linkDir, link := layerLink(dir)
		if rec.LinkDir == "" || rec.LinkDir == linkDir {
			rec.LinkDir = linkDir
		} else {
			link = "" // a layer from another image store: use its full path
		}
		rec.Layers = append(rec.Layers, local.Layer{ID: id, Dir: dir, Link: link})
		id = layer.Parent
	}
	slices.Reverse(rec.Layers)
	if !slices.ContainsFunc(rec.Layers, func(l local.Layer) bool { return l.Link != "" }) {
		rec.LinkDir = ""
	}
	return rec, nil
}

// layerLink returns the overlay driver's directory of short links and the
// link naming diffDir. The driver keeps the name in the file "link" beside
// the layer's diff directory and a symlink l/NAME → ../ID/diff (see the
// layout comment in the driver's overlay.go). The link is returned only
// when that symlink really leads to diffDir, so a change of layout makes
// urun fall back to full paths rather than mount the wrong tree.
func layerLink(diffDir string) (linkDir, link string) {
	layerDir := filepath.Dir(diffDir)
	linkDir = filepath.Join(filepath.Dir(layerDir), "l")
	data, err := os.ReadFile(filepath.Join(layerDir, "link"))
	if err != nil {
		return linkDir, ""
	}
	link = strings.TrimSpace(string(data))
	if link == "" || strings.ContainsRune(link, '/') {
		return linkDir, ""
	}
	target, err := os.Readlink(filepath.Join(linkDir, link))
	if err != nil {
		return linkDir, ""
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(linkDir, target)
	}
	if filepath.Clean(target) != filepath.Clean(diffDir) {
		return linkDir, ""
	}
	return linkDir, link
}

// mergeNames returns names followed by the extra names it lacks.
func mergeNames(names, extra []string) []string {
	out := append([]string{}, names...)
	for _, n := range extra {
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// SyncNames brings the names in urun's records in line with the store: a
// tag pulled again moves to the new image, and the old image's record
// must stop claiming it. Names by digest, which the store does not keep,
// stay.
func SyncNames(store storage.Store) error {
	images, err := ownImages(store)
	if err != nil {
		return fmt.Errorf("list stored images: %w", err)
	}
	root := store.GraphRoot()
	for _, img := range images {
		rec, err := local.Read(root, img.ID)
		if errors.Is(err, local.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		var digested []string
		for _, n := range rec.Names {
			if strings.Contains(n, "@") {
				digested = append(digested, n)
			}
		}
		names := mergeNames(img.Names, digested)
		if slices.Equal(names, rec.Names) {
			continue
		}
		rec.Names = names
		if err := local.Write(root, rec); err != nil {
			return err
		}
	}
	return nil
}
