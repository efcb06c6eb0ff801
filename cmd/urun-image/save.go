//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parseSave(args []string) (func(*config.Config) error, error) {
	fs := newFlags("save")
	output := fs.StringP("output", "o", "", "write to FILE (a directory for oci-dir) instead of stdout")
	format := fs.String("format", image.FormatDockerArchive, "docker-archive, oci-archive or oci-dir")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() == 0 {
		return nil, fmt.Errorf("name at least one image to save\n%s", usage)
	}
	switch *format {
	case image.FormatDockerArchive, image.FormatOCIArchive, image.FormatOCIDir:
	default:
		return nil, fmt.Errorf("unknown --format %q: use docker-archive, oci-archive or oci-dir", *format)
	}
	if *output == "" && isTerminal(os.Stdout) {
		// Docker's words.
		return nil, errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
	}
	opts := image.SaveOptions{Format: *format, Output: *output, Stdout: os.Stdout, Images: fs.Args()}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		err = image.Save(ctx, store, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		return err
	}, nil
}
