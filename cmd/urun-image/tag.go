//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parseTag(args []string) (func(*config.Config) error, error) {
	fs := newFlags("tag")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 2 {
		return nil, fmt.Errorf("want SOURCE_IMAGE and TARGET_IMAGE, got %d arguments\n%s", fs.NArg(), usage)
	}
	src, dst := fs.Arg(0), fs.Arg(1)
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		_, err = image.Tag(context.Background(), store, src, dst)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		return err
	}, nil
}
