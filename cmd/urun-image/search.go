//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sirupsen/logrus"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
)

func prepareSearch(opts request.Search) (work, error) {
	if opts.Limit < 1 {
		return nil, fmt.Errorf("--limit %d: give a number of results of at least 1", opts.Limit)
	}
	return func(*config.Config) error {
		if err := image.UseRuntimeDir(); err != nil {
			return err
		}
		registries, term, err := image.SearchRegistries(opts.Term, opts.Access)
		if err != nil {
			return err
		}
		if term == "" && len(registries) == 1 && registries[0] == local.DefaultRegistry {
			return errors.New("search: give a search term (or REGISTRY/ to list a registry's catalog)")
		}
		ctx, cancel := signalContext()
		defer cancel()
		// The image library logs each failed search API as an error;
		// Search reports what matters once, with what to do.
		if !logrus.IsLevelEnabled(logrus.DebugLevel) {
			logrus.SetLevel(logrus.FatalLevel)
		}
		results, err := image.Search(ctx, registries, term, opts)
		if err != nil {
			return err
		}
		if err := image.WriteSearch(os.Stdout, results, opts); err != nil {
			return err
		}
		switch {
		case len(results) > 0:
		case term == "":
			fmt.Fprintf(os.Stderr, "No repository in %s\n", strings.Join(registries, ", "))
		default:
			fmt.Fprintf(os.Stderr, "No repository in %s matches %q\n", strings.Join(registries, ", "), term)
		}
		return nil
	}, nil
}
