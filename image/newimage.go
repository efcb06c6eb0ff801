//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// NewImage is an image whose layers are stored already (WriteLayer, or
// an image's): a build's result or a commit's.
type NewImage struct {
	// Config is the image's configuration as it is to be stored, whose
	// rootfs.diff_ids name the layers from the base up.
	Config []byte
	// Layers are the layers' sizes and digests, from the base up; TopLayer
	// is the store's id of the last.
	Layers   []NewLayer
	TopLayer string
	// Format is "oci" or "docker" (Docker's schema 2 manifest, the
	// default).
	Format string
	// Created is the image's creation time.
	Created time.Time
}

// StoreImage stores img and writes urun's record, and gives the image the
// names (normalised references; each moves from any image that had it).
// An identical image stored before (a build that hit the cache at every
// step) is that image.
func StoreImage(ctx context.Context, store storage.Store, img NewImage, names []string) (*local.Image, error) {
	configDigest := digest.FromBytes(img.Config)
	m, err := newManifest(img, configDigest)
	if err != nil {
		return nil, err
	}
	manifestDigest := digest.FromBytes(m)
	manifestKey, err := manifestBigDataKey(manifestDigest)
	if err != nil {
		return nil, err
	}
	id := configDigest.Encoded()
	stored, err := store.CreateImage(id, nil, img.TopLayer, "{}", &storage.ImageOptions{
		CreationDate: img.Created,
		Digest:       manifestDigest,
		BigData: []storage.ImageBigDataOption{
			{Key: configDigest.String(), Data: img.Config, Digest: configDigest},
			{Key: manifestKey, Data: m, Digest: manifestDigest},
			{Key: storage.ImageDigestBigDataKey, Data: m, Digest: manifestDigest},
		},
	})
	if errors.Is(err, storage.ErrDuplicateID) {
		stored, err = store.Image(id)
	}
	if err != nil {
		return nil, fmt.Errorf("store image %s: %w", id, err)
	}
	if len(names) == 0 {
		return writeRecord(ctx, store, stored, nil)
	}
	unlock, err := lockRecords(store)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := store.AddNames(stored.ID, names); err != nil {
		return nil, fmt.Errorf("name image %s: %w", id, err)
	}
	// Records the image, and takes the names off the images that had them.
	if err := resyncLocked(ctx, store); err != nil {
		return nil, fmt.Errorf("name image %s: %w", id, err)
	}
	return local.Read(store.GraphRoot(), id)
}

func manifestBigDataKey(d digest.Digest) (string, error) {
	if err := d.Validate(); err != nil {
		return "", err
	}
	return storage.ImageDigestManifestBigDataNamePrefix + "-" + d.String(), nil
}

// newManifest is img's manifest, its layers uncompressed as the store
// keeps them (a push compresses them).
func newManifest(img NewImage, configDigest digest.Digest) ([]byte, error) {
	configType, layerType, manifestType := imgspecv1.MediaTypeImageConfig, imgspecv1.MediaTypeImageLayer, imgspecv1.MediaTypeImageManifest
	if img.Format != "oci" {
		configType, layerType, manifestType = manifest.DockerV2Schema2ConfigMediaType, manifest.DockerV2SchemaLayerMediaTypeUncompressed, manifest.DockerV2Schema2MediaType
	}
	m := imgspecv1.Manifest{
		Versioned: imgspec.Versioned{SchemaVersion: 2},
		MediaType: manifestType,
		Config:    imgspecv1.Descriptor{MediaType: configType, Digest: configDigest, Size: int64(len(img.Config))},
		Layers:    []imgspecv1.Descriptor{},
	}
	for _, l := range img.Layers {
		m.Layers = append(m.Layers, imgspecv1.Descriptor{MediaType: layerType, Digest: l.DiffID, Size: l.Size})
	}
	data, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode the image's manifest: %w", err)
	}
	return data, nil
}
