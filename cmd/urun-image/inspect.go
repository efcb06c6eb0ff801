//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/request"
)

// prepareInspect is `urun image inspect`; with Raw it answers `urun
// inspect`, which renders containers and images together: a JSON array of
// imagedoc.Result, one per ref.
func prepareInspect(r request.Inspect) (work, error) {
	var tmpl *containers.Format
	if r.Format != "" {
		var err error
		if tmpl, err = containers.ParseFormat(r.Format); err != nil {
			return nil, err
		}
	}
	refs := r.Images
	return func(cfg *config.Config) error {
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		results := image.InspectRefs(context.Background(), store, refs)
		if err := image.Shutdown(store); err != nil {
			return err
		}
		if r.Raw {
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
