//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"os"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parseImport(args []string) (func(*config.Config) error, error) {
	fs := newFlags("import")
	changes := fs.StringArrayP("change", "c", nil, "apply a Dockerfile instruction (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)")
	message := fs.StringP("message", "m", "", "commit message of the image's history")
	platform := fs.String("platform", "", "OS/ARCH[/VARIANT] the image is for (default: the host's)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return nil, fmt.Errorf("want FILE|URL|- [REPOSITORY[:TAG]], got %d arguments\n%s", fs.NArg(), usage)
	}
	opts := image.ImportOptions{Source: fs.Arg(0), Stdin: os.Stdin, Reference: fs.Arg(1), Changes: *changes, Message: *message}
	var err error
	if opts.Platform, err = image.ParsePlatform(*platform); err != nil {
		return nil, err
	}
	// Refuse a bad --change before reading a possibly large tarball.
	if err := image.ApplyChanges(&imgspecv1.ImageConfig{}, opts.Changes); err != nil {
		return nil, err
	}
	if opts.Source == "-" && isTerminal(os.Stdin) {
		return nil, fmt.Errorf("import from stdin, but stdin is a terminal: pipe a tar archive in, or give FILE or URL")
	}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		rec, err := image.Import(ctx, store, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		fmt.Println("sha256:" + rec.ID)
		return nil
	}, nil
}
