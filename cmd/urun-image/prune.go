//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"os"
	"strings"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func preparePrune(r request.Prune) (work, error) {
	return func(cfg *config.Config) error {
		used, unlock, err := lockImagesInUse(cfg)
		if err != nil {
			return err
		}
		defer unlock()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		removals := newRemovalEvents(cfg, store, nil)
		p, err := image.Prune(context.Background(), store, image.PruneOptions{All: r.All, InUse: used, Filters: r.Filters})
		removals.Write([]byte(strings.Join(append(p.Lines, ""), "\n")))
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		image.WritePruned(os.Stdout, p)
		return err
	}, nil
}
