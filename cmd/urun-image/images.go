//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"io"
	"os"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parseImages(args []string) (func(*config.Config) error, error) {
	var opts image.ListOptions
	fs := flag.NewFlagSet("images", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.BoolVarP(&opts.Quiet, "quiet", "q", false, "print image IDs only")
	fs.BoolVar(&opts.NoTrunc, "no-trunc", false, "print full image IDs")
	fs.StringVar(&opts.Format, "format", "", "json")
	if err := fs.Parse(args); err != nil {
		return nil, fmt.Errorf("%v\n%s", err, usage)
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), usage)
	}
	if opts.Format != "" && opts.Format != "json" && opts.Format != "table" {
		return nil, fmt.Errorf("unknown --format %q: want json", opts.Format)
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
		return image.WriteList(os.Stdout, list, opts, time.Now())
	}, nil
}
