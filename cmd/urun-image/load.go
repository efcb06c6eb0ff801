//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"io"
	"os"

	"go.podman.io/image/v5/docker/reference"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareLoad(r request.Load) (work, error) {
	if r.Input == "" && isTerminal(os.Stdin) {
		return nil, fmt.Errorf("requested load from stdin, but stdin is empty: give -i FILE or pipe an archive in")
	}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		opts := image.LoadOptions{Input: r.Input, Stdin: os.Stdin}
		if !r.Quiet && isTerminal(os.Stderr) {
			opts.Progress = os.Stderr
		}
		loaded, err := image.Load(ctx, store, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		printLoaded(os.Stdout, loaded)
		loadEvents(cfg, loaded)
		return err
	}, nil
}

// printLoaded says what was loaded as docker load does: each name, or the
// id of an image without one.
func printLoaded(w io.Writer, loaded []image.Loaded) {
	for _, l := range loaded {
		if len(l.Names) == 0 {
			fmt.Fprintf(w, "Loaded image ID: sha256:%s\n", l.ID)
			continue
		}
		for _, n := range l.Names {
			if named, err := reference.ParseNormalizedNamed(n); err == nil {
				n = reference.FamiliarString(named)
			}
			fmt.Fprintf(w, "Loaded image: %s\n", n)
		}
	}
}
