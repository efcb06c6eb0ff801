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
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
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
		return pull(cfg, r, plat)
	}, nil
}

func pull(cfg *config.Config, r request.Pull, platform image.Platform) error {
	if !r.ForRun && !r.AllTags {
		if note, err := sharedPullNote(cfg, r.Ref); err != nil || note != "" {
			if err == nil {
				fmt.Println(note)
			}
			return err
		}
	}
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
	// As Docker's: the report on stdout (bars when it is a terminal),
	// and with -q only the reference.
	opts := image.PullOptions{TLSVerify: r.TLSVerify, Platform: platform, StallTimeout: stall}
	if !r.Quiet {
		opts.Progress = os.Stdout
	}
	if r.AllTags {
		err = pullAllTags(ctx, cfg, store, r.Ref, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return exitcode.New(1, err)
		}
		return nil
	}
	_, err = image.Pull(ctx, store, r.Ref, opts)
	if shutErr := image.Shutdown(store); err == nil {
		err = shutErr
	}
	if err != nil {
		// Docker's pull fails with 1, whatever failed.
		return exitcode.New(1, err)
	}
	name, err := local.Normalize(r.Ref)
	if err != nil {
		return err
	}
	imageEvent(cfg, "pull", local.Familiar(name), familiarRepo(name))
	if !r.ForRun {
		fmt.Println(name)
	}
	return nil
}

// pullAllTags is `pull -a REPOSITORY`: every tag the registry lists, one
// after the other, each with its report; last, as Docker's, the
// repository's name.
func pullAllTags(ctx context.Context, cfg *config.Config, store storage.Store, repo string, opts image.PullOptions) error {
	named, err := image.Repository(repo)
	if err != nil {
		return err
	}
	tags, err := image.RepositoryTags(ctx, store, named, opts)
	if err != nil {
		return err
	}
	for _, tag := range tags {
		ref := named.Name() + ":" + tag
		if _, err := image.Pull(ctx, store, ref, opts); err != nil {
			return err
		}
		imageEvent(cfg, "pull", local.Familiar(ref), familiarRepo(ref))
	}
	fmt.Println(named.Name())
	return nil
}
