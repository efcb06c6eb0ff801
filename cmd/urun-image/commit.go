//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"errors"
	"fmt"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/storage"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareCommit(r request.Commit) (work, error) {
	if r.Layer == "" || r.Image == "" {
		return nil, errors.New("urun named no container's layer and image: install urun and urun-image of one version")
	}
	switch r.Format {
	case "":
		r.Format = "docker"
	case "docker", "oci":
	default:
		return nil, fmt.Errorf("--format %q: want docker or oci", r.Format)
	}
	// Refuse a bad --change before anything is written.
	if err := image.ApplyChanges(&imgspecv1.ImageConfig{}, r.Changes); err != nil {
		return nil, err
	}
	return func(cfg *config.Config) error {
		return withStore(cfg, func(ctx context.Context, store storage.Store) error {
			rec, err := image.Commit(ctx, store, r)
			if err == nil {
				fmt.Println("sha256:" + rec.ID)
			}
			return err
		})
	}, nil
}
