//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"os"

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
		imageEvent(cfg, "push", local.Familiar(pushed.Dest), familiarRepo(pushed.Dest))
		// Docker's last line of a push; with -q, only what was pushed.
		if r.Quiet {
			fmt.Println(pushed.Dest)
		} else {
			fmt.Printf("%s: digest: %s size: %d\n", pushed.Tag, pushed.Digest, pushed.Size)
		}
		return nil
	}, nil
}
