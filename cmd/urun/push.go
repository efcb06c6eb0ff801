package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
)

func newPushCommand(g *globals) *cobra.Command {
	var quiet, tlsVerify bool
	var format, digestFile, authFile string
	cmd := &cobra.Command{
		Use:   "push [OPTIONS] IMAGE [DESTINATION]",
		Short: "Push an image to a registry",
		Long: `Push a stored image to a registry, under its own name or under
DESTINATION (REGISTRY/REPOSITORY[:TAG]). Layers are compressed with gzip.
registries.conf(5) applies, and the credentials stored by 'urun login'
(or in ~/.docker/config.json). Prints the pushed tag's digest.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := []string{"push"}
			if quiet {
				a = append(a, "--quiet")
			}
			if cmd.Flags().Changed("tls-verify") {
				a = append(a, "--tls-verify="+strconv.FormatBool(tlsVerify))
			}
			for _, f := range []struct{ name, value string }{{"format", format}, {"digestfile", digestFile}, {"authfile", authFile}} {
				if f.value != "" {
					a = append(a, "--"+f.name+"="+f.value)
				}
			}
			return helper.Run(g.helperOptions(), append(append(a, "--"), args...)...)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&quiet, "quiet", "q", false, "show no progress; print only the pushed reference")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&format, "format", "", "manifest type: oci or v2s2 (default: the image's own)")
	f.StringVar(&digestFile, "digestfile", "", "write the pushed manifest's digest to `FILE`")
	f.StringVar(&authFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else urun login's auth.json)")
	return cmd
}
