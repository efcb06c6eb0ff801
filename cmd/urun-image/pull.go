//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

// signalContext is cancelled by SIGINT or SIGTERM, so a pull stops
// cleanly and leaves no half-written layer behind.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), unix.SIGINT, unix.SIGTERM, unix.SIGHUP)
}

func parsePull(args []string) (func(*config.Config) error, error) {
	fs := newFlags("pull")
	quiet := fs.BoolP("quiet", "q", false, "show no progress (the image id is still printed)")
	tlsVerify := fs.Bool("tls-verify", true, "require https with a verified certificate (default: as registries.conf says)")
	platform := fs.String("platform", "", "OS/ARCH[/VARIANT] to choose from an image index (default: the host's)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() != 1 {
		return nil, fmt.Errorf("want exactly one image reference, got %d\n%s", fs.NArg(), usage)
	}
	ref := fs.Arg(0)
	plat, err := image.ParsePlatform(*platform)
	if err != nil {
		return nil, err
	}
	var tls *bool
	if fs.Changed("tls-verify") {
		tls = tlsVerify
	}
	return func(cfg *config.Config) error {
		return pull(cfg, ref, *quiet, tls, plat)
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
	// As podman does: the id even when quiet, which only drops progress.
	fmt.Println(rec.ID)
	return nil
}
