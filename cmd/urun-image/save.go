//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareSave(r request.Save) (work, error) {
	switch r.Format {
	case image.FormatDockerArchive, image.FormatOCIArchive, image.FormatOCIDir:
	default:
		return nil, fmt.Errorf("unknown --format %q: use docker-archive, oci-archive or oci-dir", r.Format)
	}
	if r.Output == "" && isTerminal(os.Stdout) {
		// Docker's words.
		return nil, errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	opts := image.SaveOptions{Format: r.Format, Output: r.Output, Stdout: os.Stdout, Images: r.Images}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		err = image.Save(ctx, store, opts)
		saveEvents(cfg, store, opts.Images, err)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		return err
	}, nil
}
