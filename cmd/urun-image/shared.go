//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

// The shared stores (additionalimagestores) are read-only to urun: their
// images are listed, run, inspected, saved and built on, never pulled
// into or removed; a tag copies the image's record into the own store.

// withSharedImages adds the shared stores' images to `urun images`.
func withSharedImages(cfg *config.Config, own []image.Summary) ([]image.Summary, error) {
	shared, err := image.ListShared(cfg.AdditionalImageStores, own)
	if err != nil {
		return nil, err
	}
	if len(shared) == 0 {
		return own, nil
	}
	list := append(own, shared...)
	image.SortNewestFirst(list)
	return list, nil
}

// refuseSharedRemovals drops from refs those that name an image of a
// shared store (and none of the own store), with an error for each.
func refuseSharedRemovals(cfg *config.Config, refs []string) ([]string, []error) {
	var keep []string
	var errs []error
	for _, ref := range refs {
		img, err := image.FindShared(cfg.GraphRoot, cfg.AdditionalImageStores, ref)
		switch {
		case err != nil:
			errs = append(errs, err)
		case img != nil:
			errs = append(errs, &image.SharedImageError{Ref: ref, ID: img.ID, Store: img.Store})
		default:
			keep = append(keep, ref)
		}
	}
	return keep, errs
}

// sharedPullNote says, for `urun pull`, that a shared store has ref and
// the own store does not: urun runs it from there, so nothing is pulled.
// "" when ref is to be pulled.
func sharedPullNote(cfg *config.Config, ref string) (string, error) {
	img, err := image.FindShared(cfg.GraphRoot, cfg.AdditionalImageStores, ref)
	if err != nil || img == nil {
		return "", err
	}
	return fmt.Sprintf("%s is in the shared image store %s (image %.12s): not pulled, urun runs it from there (urun run --pull always %s pulls a copy of your own)",
		ref, img.Store, img.ID, ref), nil
}
