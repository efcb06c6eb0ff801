//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"os"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parseImages(args []string) (func(*config.Config) error, error) {
	var opts image.ListOptions
	var filters []string
	fs := newFlags("images")
	fs.BoolVarP(&opts.Quiet, "quiet", "q", false, "print image IDs only")
	fs.BoolVar(&opts.NoTrunc, "no-trunc", false, "print full image IDs")
	fs.BoolVar(&opts.Digests, "digests", false, "show a DIGEST column")
	fs.BoolP("all", "a", false, "all images (urun stores no intermediate images: the same list)")
	fs.StringVar(&opts.Format, "format", "", "table, json or a Go template")
	fs.StringArrayVarP(&filters, "filter", "f", nil, "KEY=VALUE")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 1 {
		return nil, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(1), usage)
	}
	if fs.NArg() == 1 {
		// docker images REPOSITORY[:TAG] is a reference filter.
		filters = append(filters, "reference="+fs.Arg(0))
	}
	if err := image.ValidateListFormat(opts.Format); err != nil {
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
		if list, err = f.Apply(list); err != nil {
			return err
		}
		return image.WriteList(os.Stdout, list, opts, time.Now())
	}, nil
}
