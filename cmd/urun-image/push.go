//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"fmt"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
)

func parsePush(args []string) (func(*config.Config) error, error) {
	fs := newFlags("push")
	quiet := fs.BoolP("quiet", "q", false, "show no progress; print only the pushed reference")
	tlsVerify := fs.Bool("tls-verify", true, "require https with a verified certificate (default: as registries.conf says)")
	format := fs.String("format", "", "manifest type to push: oci or v2s2 (default: the image's own)")
	digestFile := fs.String("digestfile", "", "write the pushed manifest's digest to this file")
	authFile := fs.String("authfile", "", "credentials file (default $REGISTRY_AUTH_FILE, else auth.json of urun login)")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return nil, fmt.Errorf("want IMAGE [DESTINATION], got %d arguments\n%s", fs.NArg(), usage)
	}
	if _, ok := image.PushFormats[*format]; *format != "" && !ok {
		return nil, fmt.Errorf("unknown --format %q: want oci or v2s2", *format)
	}
	src, dest := fs.Arg(0), fs.Arg(1)
	opts := image.PushOptions{Format: *format, Access: image.AccessOptions{AuthFile: *authFile}}
	if fs.Changed("tls-verify") {
		opts.Access.TLSVerify = tlsVerify
	}
	if !*quiet && isTerminal(os.Stderr) {
		opts.Progress = os.Stderr
	}
	return func(cfg *config.Config) error {
		ctx, cancel := signalContext()
		defer cancel()
		store, err := image.Open(cfg)
		if err != nil {
			return err
		}
		pushed, err := image.Push(ctx, store, src, dest, opts)
		if shutErr := image.Shutdown(store); err == nil {
			err = shutErr
		}
		if err != nil {
			return err
		}
		if *digestFile != "" {
			if err := image.WriteDigestFile(*digestFile, pushed.Digest); err != nil {
				return err
			}
		}
		// Docker's last line of a push; with -q, only what was pushed.
		if *quiet {
			fmt.Println(pushed.Dest)
		} else {
			fmt.Printf("%s: digest: %s size: %d\n", pushed.Tag, pushed.Digest, pushed.Size)
		}
		return nil
	}, nil
}
