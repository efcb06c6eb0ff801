//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image"
)

func parseHistory(args []string) (func(*config.Config) error, error) {
	var o image.HistoryOptions
	fs := newFlags("history")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "print image IDs only")
	fs.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate")
	fs.BoolVarP(&o.Human, "human", "H", true, "sizes and dates for people")
	fs.StringVar(&o.Format, "format", "", "table, json or a Go template")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("want exactly one image, got %d\n%s", fs.NArg(), usage)
	}
	if o.Format != "" && o.Format != "table" && o.Format != "json" {
		if _, err := containers.ParseFormat(o.Format); err != nil {
			return nil, err
		}
	}
	ref := fs.Arg(0)
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		var entries []image.HistoryEntry
		img, _, err := image.Resolve(store, ref)
		if err == nil {
			entries, err = image.History(context.Background(), store, img)
		}
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		return image.WriteHistory(os.Stdout, entries, o, time.Now())
	}, nil
}
