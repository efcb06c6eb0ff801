//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/imagedoc"
)

// parseInspect is `urun image inspect`; with --raw it answers `urun
// inspect`, which renders containers and images together: a JSON array of
// imagedoc.Result, one per ref.
func parseInspect(args []string) (func(*config.Config) error, error) {
	fs := newFlags("inspect")
	format := fs.StringP("format", "f", "", "Go template")
	raw := fs.Bool("raw", false, "results for urun inspect")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() == 0 {
		return nil, fmt.Errorf("name at least one image\n%s", usage)
	}
	var tmpl *containers.Format
	if *format != "" {
		var err error
		if tmpl, err = containers.ParseFormat(*format); err != nil {
			return nil, err
		}
	}
	refs := fs.Args()
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		results := image.InspectRefs(context.Background(), store, refs)
		if err := image.Shutdown(store); err != nil {
			return err
		}
		if *raw {
			return json.NewEncoder(os.Stdout).Encode(results)
		}
		return writeInspected(os.Stdout, results, tmpl)
	}, nil
}

// writeInspected prints the documents found, as `docker image inspect`:
// all of them even when some refs name no image, then the errors.
func writeInspected(w io.Writer, results []imagedoc.Result, tmpl *containers.Format) error {
	docs := []any{}
	var errs []error
	for _, r := range results {
		if r.Image == nil {
			errs = append(errs, errors.New(r.Error))
			continue
		}
		docs = append(docs, r.Image)
	}
	if tmpl == nil {
		if err := imagedoc.WriteJSON(w, docs); err != nil {
			return err
		}
	} else {
		for _, d := range docs {
			out, err := imagedoc.Render(tmpl, d)
			if err != nil {
				return err
			}
			if _, err := w.Write(append(out, '\n')); err != nil {
				return err
			}
		}
	}
	return combineErrors(len(results), errs)
}
