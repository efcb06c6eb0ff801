package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newLoadCommand(g *globals) *cobra.Command {
	var r request.Load
	cmd := &cobra.Command{
		Use:   "load [OPTIONS]",
		Short: "Load images from a tar archive",
		Long: `Load every image of an archive from stdin or FILE into urun's store, with
the names the archive gives them: a docker-archive (docker save, podman
save, skopeo docker-archive:) or an oci-archive, plain or compressed (gzip,
bzip2, xz, zstd), or an OCI image layout directory with -i DIR. Prints
"Loaded image: NAME" for each name, "Loaded image ID: sha256:..." for an
image without one. The archive is checked before anything is stored; a
failed load leaves no image or layer of its own behind.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return helper.Run(request.Request{Store: g.store(), Load: &r})
		},
	}
	cmd.Flags().StringVarP(&r.Input, "input", "i", "", "read FILE (or an OCI layout directory) instead of stdin")
	cmd.Flags().BoolVarP(&r.Quiet, "quiet", "q", false, "do not show progress")
	return cmd
}
