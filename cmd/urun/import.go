package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
)

func newImportCommand(g *globals) *cobra.Command {
	var changes []string
	var message, platform string
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
			a := []string{"import"}
			for _, c := range changes {
				a = append(a, "--change", c)
			}
			if message != "" {
				a = append(a, "--message", message)
			}
			if platform != "" {
				a = append(a, "--platform", platform)
			}
			return helper.Run(g.helperOptions(), append(append(a, "--"), args...)...)
		},
	}
	cmd.Flags().StringArrayVarP(&changes, "change", "c", nil, "apply a Dockerfile instruction to the image's configuration")
	cmd.Flags().StringVarP(&message, "message", "m", "", "set the commit message of the image's history")
	cmd.Flags().StringVar(&platform, "platform", "", "OS/ARCH[/VARIANT] the image is for (default: the host's)")
	return cmd
}
