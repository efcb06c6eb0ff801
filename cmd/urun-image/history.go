//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"os"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareHistory(r request.History) (work, error) {
	if r.Format != "" && r.Format != "table" && r.Format != "json" {
		if _, err := containers.ParseFormat(r.Format); err != nil {
			return nil, err
		}
	}
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		var entries []image.HistoryEntry
		img, _, err := image.Resolve(store, r.Image)
		if err == nil {
			entries, err = image.History(context.Background(), store, img)
		}
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		return image.WriteHistory(os.Stdout, entries, r, time.Now())
	}, nil
}
