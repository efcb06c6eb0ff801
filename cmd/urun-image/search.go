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
)

func parseSearch(args []string) (func(*config.Config) error, error) {
	var opts image.SearchOptions
	fs := newFlags("search")
	fs.IntVar(&opts.Limit, "limit", image.DefaultSearchLimit, "at most this many results per registry")
	fs.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not truncate descriptions")
	fs.StringVar(&opts.Format, "format", "", "table, json or a Go template")
	tlsVerify := fs.Bool("tls-verify", true, "require https with a verified certificate")
	fs.StringVar(&opts.Access.AuthFile, "authfile", "", "credentials file")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("want exactly one search term, got %d\n%s", fs.NArg(), usage)
	}
	if opts.Limit < 1 {
		return nil, fmt.Errorf("--limit %d: give a number of results of at least 1", opts.Limit)
	}
	if fs.Changed("tls-verify") {
		opts.Access.TLSVerify = tlsVerify
	}
	arg := fs.Arg(0)
	return func(*config.Config) error {
		if err := image.UseRuntimeDir(); err != nil {
			return err
		}
		registries, term, err := image.SearchRegistries(arg, opts.Access)
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
