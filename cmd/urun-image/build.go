//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/docker/go-units"
	"go.podman.io/storage"

	"github.com/urun/urun/build"
	"github.com/urun/urun/config"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareBuild(r request.Build) (work, error) {
	o := build.Options{
		Context:   build.ContextOptions{Source: r.Context, Dockerfile: r.Dockerfile, Stdin: os.Stdin},
		Tags:      r.Tags,
		BuildArgs: map[string]string{},
		Target:    r.Target,
		NoCache:   r.NoCache,
		Pull:      r.Pull,
		Labels:    map[string]string{},
		Quiet:     r.Quiet,
		IIDFile:   r.IIDFile,
		Network:   r.Network,
		Secrets:   r.Secrets,
		Format:    r.Format,
		TLSVerify: r.TLSVerify,
		AddHosts:  r.AddHosts,
		ShmSize:   r.ShmSize,
		Ulimits:   r.Ulimits,
		Out:       os.Stdout,
		Err:       os.Stderr,
	}
	for _, kv := range r.BuildArgs {
		k, v, _ := strings.Cut(kv, "=")
		o.BuildArgs[k] = v
	}
	for _, kv := range r.Labels {
		k, v, _ := strings.Cut(kv, "=")
		o.Labels[k] = v
	}
	if (r.Context == "-" || r.Dockerfile == "-") && isTerminal(os.Stdin) {
		return nil, fmt.Errorf("build from stdin (-), but stdin is a terminal: pipe a tar archive or a Dockerfile in")
	}
	return func(cfg *config.Config) error {
		var res *build.Result
		err := withStore(cfg, func(ctx context.Context, store storage.Store) (err error) {
			res, err = build.Build(ctx, store, cfg, o)
			return err
		})
		if err != nil {
			// Docker's build fails with 1, whatever failed.
			var exit *exitcode.Error
			if errors.As(err, &exit) && exit.Code == 1 {
				return err
			}
			return exitcode.New(1, err)
		}
		if r.Quiet {
			fmt.Println("sha256:" + res.Image.ID)
		}
		return nil
	}, nil
}

func prepareBuilderPrune(request.BuilderPrune) (work, error) {
	return func(cfg *config.Config) error {
		var n int
		var freed int64
		err := withStore(cfg, func(_ context.Context, store storage.Store) (err error) {
			n, freed, err = image.PruneBuildCache(store)
			return err
		})
		if err != nil {
			return err
		}
		fmt.Printf("Deleted build cache objects: %d\n\nTotal reclaimed space: %s\n", n, units.HumanSizeWithPrecision(float64(freed), 3))
		return nil
	}, nil
}
