//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/storage"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareImport(r request.Import) (work, error) {
	opts := image.ImportOptions{Source: r.Source, Stdin: os.Stdin, Reference: r.Reference, Changes: r.Changes, Message: r.Message}
	var err error
	if opts.Platform, err = image.ParsePlatform(r.Platform); err != nil {
		return nil, err
	}
	// Refuse a bad --change before reading a possibly large tarball.
	if err := image.ApplyChanges(&imgspecv1.ImageConfig{}, opts.Changes); err != nil {
		return nil, err
	}
	if opts.Source == "-" && isTerminal(os.Stdin) {
		return nil, fmt.Errorf("import from stdin, but stdin is a terminal: pipe a tar archive in, or give FILE or URL")
	}
	return func(cfg *config.Config) error {
		return withStore(cfg, func(ctx context.Context, store storage.Store) error {
			rec, err := image.Import(ctx, store, opts)
			if err == nil {
				imageEvent(cfg, "import", rec.ID, rec.ID)
				fmt.Println("sha256:" + rec.ID)
			}
			return err
		})
	}, nil
}
