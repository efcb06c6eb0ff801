//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"os"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareImages(r request.Images) (work, error) {
	filters := r.Filters
	if r.Repository != "" {
		// docker images REPOSITORY[:TAG] is a reference filter.
		filters = append(filters, "reference="+r.Repository)
	}
	if err := image.ValidateListFormat(r.Format); err != nil {
		return nil, err
	}
	f, err := image.ParseFilters(filters)
	if err != nil {
		return nil, err
	}
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		list, err := image.List(store)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		if list, err = withSharedImages(cfg, list); err != nil {
			return err
		}
		if list, err = f.Apply(list); err != nil {
			return err
		}
		return image.WriteList(os.Stdout, list, r, time.Now())
	}, nil
}
