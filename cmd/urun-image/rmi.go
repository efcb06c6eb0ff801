//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareRmi(r request.Rmi) (work, error) {
	return func(cfg *config.Config) error {
		refs, sharedErrs := refuseSharedRemovals(cfg, r.Images)
		if len(refs) == 0 {
			return combineErrors(len(r.Images), sharedErrs)
		}
		used, unlock, err := lockImagesInUse(cfg)
		if err != nil {
			return err
		}
		defer unlock()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		errs := image.Remove(context.Background(), store, refs, image.RemoveOptions{Force: r.Force, InUse: used, Out: newRemovalEvents(cfg, store, os.Stdout), Warn: os.Stderr})
		if err := image.Shutdown(store); err != nil {
			errs = append(errs, err)
		}
		return combineErrors(len(r.Images), append(sharedErrs, errs...))
	}, nil
}

// combineErrors follows `urun rm`: one failing ref is urun's error (125),
// with several each failure is printed and the exit status is 1.
func combineErrors(refs int, errs []error) error {
	switch {
	case len(errs) == 0:
		return nil
	case refs == 1 && len(errs) == 1:
		return errs[0]
	}
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "urun:", err)
	}
	return exitcode.New(1, nil)
}
