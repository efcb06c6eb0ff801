//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareTag(r request.Tag) (work, error) {
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		name, err := image.Tag(context.Background(), store, r.Source, r.Target)
		if err == nil {
			imageEvent(cfg, "tag", imageIDOf(store, name), name)
		}
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		return err
	}, nil
}
