//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"

	"go.podman.io/storage"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
)

func preparePush(r request.Push) (work, error) {
	if _, ok := image.PushFormats[r.Format]; r.Format != "" && !ok {
		return nil, fmt.Errorf("unknown --format %q: want oci or v2s2", r.Format)
	}
	opts := image.PushOptions{Format: r.Format, Access: r.Access}
	// As Docker's, the report goes to stdout.
	if !r.Quiet {
		opts.Progress = os.Stdout
	}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		if r.AllTags {
			err := pushAllTags(ctx, cfg, store, r, opts)
			if shutErr := image.Shutdown(store); err == nil {
				err = shutErr
			}
			return err
		}
		pushed, err := image.Push(ctx, store, r.Image, r.Destination, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		if r.DigestFile != "" {
			if err := image.WriteDigestFile(r.DigestFile, pushed.Digest); err != nil {
				return err
			}
		}
		reportPushed(cfg, pushed, r.Quiet)
		return nil
	}, nil
}

// pushAllTags is `push -a REPOSITORY`: every tag the store has in the
// repository, under one "The push refers to repository" line, each
// ending with its reportPushed line.
func pushAllTags(ctx context.Context, cfg *config.Config, store storage.Store, r request.Push, opts image.PushOptions) error {
	named, err := image.Repository(r.Image)
	if err != nil {
		return err
	}
	tags, err := image.LocalTags(store, named)
	if err != nil {
		return err
	}
	if len(tags) == 0 {
		return fmt.Errorf("push %s: no tag of that repository in urun's store (urun images lists them)", r.Image)
	}
	for i, tag := range tags {
		opts.NoHeader = i > 0
		pushed, err := image.Push(ctx, store, named.Name()+":"+tag, "", opts)
		if err != nil {
			return err
		}
		reportPushed(cfg, pushed, r.Quiet)
	}
	return nil
}

// reportPushed records the push event and prints Docker's last line of
// a push ("TAG: digest: ... size: N"); with -q, only what was pushed.
func reportPushed(cfg *config.Config, pushed *image.Pushed, quiet bool) {
	imageEvent(cfg, "push", local.Familiar(pushed.Dest), familiarRepo(pushed.Dest))
	if quiet {
		fmt.Println(pushed.Dest)
	} else {
		fmt.Printf("%s: digest: %s size: %d\n", pushed.Tag, pushed.Digest, pushed.Size)
	}
}
