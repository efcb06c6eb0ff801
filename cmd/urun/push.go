package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newPushCommand(g *globals) *cobra.Command {
	var r request.Push
	var tlsVerify bool
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] IMAGE [DESTINATION]",
		Short: "Push an image to a registry",
		Long: `Push a stored image to a registry, under its own name or under
DESTINATION (REGISTRY/REPOSITORY[:TAG]). Layers are compressed with gzip.
registries.conf(5) applies, and the credentials stored by 'urun login'
(or in ~/.docker/config.json). Prints the pushed tag's digest. With -a
IMAGE is a repository (NAME, no tag): every tag the store has in it is
pushed.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Image = args[0]
			if len(args) == 2 {
				if r.AllTags {
					return fmt.Errorf("push -a %s %s: -a pushes the repository's tags under their own names: leave out the destination (tag the images first)", args[0], args[1])
				}
				r.Destination = args[1]
			}
			r.Access.TLSVerify = tlsVerifyFlag(cmd, tlsVerify)
			return helper.Run(request.Request{Store: g.store(), Push: &r})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&r.Quiet, "quiet", "q", false, "show no progress; print only the pushed reference")
	f.BoolVarP(&r.AllTags, "all-tags", "a", false, "push every local tag of the repository")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&r.Format, "format", "", "manifest type: oci or v2s2 (default: the image's own)")
	f.StringVar(&r.DigestFile, "digestfile", "", "write the pushed manifest's digest to `FILE`")
	f.StringVar(&r.Access.AuthFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else urun login's auth.json)")
	return cmd
}
