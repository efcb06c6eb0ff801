//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"go.podman.io/storage"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

// signalContext is cancelled by SIGINT or SIGTERM, so a pull stops
// cleanly and leaves no half-written layer behind.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
}

// withStore runs do with the store cfg names open, and a context that
// ends on SIGINT, SIGTERM or SIGHUP; it closes the store after, reporting
// do's error first.
func withStore(cfg *config.Config, do func(context.Context, storage.Store) error) error {
	ctx, cancel := signalContext()
	defer cancel()
	store, err := image.Open(cfg)
	if err != nil {
		return err
	}
	err = do(ctx, store)
	if shutErr := image.Shutdown(store); err == nil {
		err = shutErr
	}
	return err
}

func preparePull(r request.Pull) (work, error) {
	plat, err := image.ParsePlatform(r.Platform)
	if err != nil {
		return nil, err
	}
	return func(cfg *config.Config) error {
		return pull(cfg, r.Ref, r.Quiet, r.TLSVerify, plat)
	}, nil
}

func pull(cfg *config.Config, ref string, quiet bool, tlsVerify *bool, platform image.Platform) error {
	ctx, cancel := signalContext()
	defer cancel()
	store, err := image.Open(cfg)
	if err != nil {
		return err
	}
	stall, err := cfg.StallTimeout()
	if err != nil {
		return err
	}
	opts := image.PullOptions{TLSVerify: tlsVerify, Platform: platform, StallTimeout: stall}
	if !quiet && isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	rec, err := image.Pull(ctx, store, ref, opts)
	if shutErr := image.Shutdown(store); err == nil {
		err = shutErr
	}
	if err != nil {
		return err
	}
	imageEvent(cfg, "pull", familiar(ref), familiarRepo(ref))
	// As podman does: the id even when quiet, which only drops progress.
	fmt.Println(rec.ID)
	return nil
}
