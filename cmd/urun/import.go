package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newImportCommand(g *globals) *cobra.Command {
	var r request.Import
	cmd := &cobra.Command{
		Use:   "import [OPTIONS] FILE|URL|- [REPOSITORY[:TAG]]",
		Short: "Make an image of a root file system tarball",
		Long: `Make a one-layer image of a tar archive of a root file system (plain or
compressed with gzip, bzip2, xz or zstd) read from FILE, an http(s) URL or
stdin (-), such as urun export writes, and print its id. --change applies a
Dockerfile instruction to its configuration: CMD, ENTRYPOINT (JSON or shell
form), ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Source = args[0]
			if len(args) == 2 {
				r.Reference = args[1]
			}
			return helper.Run(request.Request{Store: g.store(), Import: &r})
		},
	}
	cmd.Flags().StringArrayVarP(&r.Changes, "change", "c", nil, "apply a Dockerfile instruction to the image's configuration")
	cmd.Flags().StringVarP(&r.Message, "message", "m", "", "set the commit message of the image's history")
	cmd.Flags().StringVar(&r.Platform, "platform", "", "OS/ARCH[/VARIANT] the image is for (default: the host's)")
	return cmd
}
