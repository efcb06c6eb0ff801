//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parsePrune(args []string) (func(*config.Config) error, error) {
	fs := newFlags("prune")
	all := fs.BoolP("all", "a", false, "remove every image no container uses, not only those without a name")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
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
		p, err := image.Prune(context.Background(), store, image.PruneOptions{All: *all, InUse: used})
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		image.WritePruned(os.Stdout, p)
		return err
	}, nil
}
