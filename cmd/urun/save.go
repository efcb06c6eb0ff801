package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newSaveCommand(g *globals) *cobra.Command {
	var r request.Save
	cmd := &cobra.Command{
		Use:   "save [OPTIONS] IMAGE...",
		Short: "Save images to a tar archive",
		Long: `Save one or more images, with their names, to a tar archive on stdout or
in FILE. Formats: docker-archive (the default, what docker save writes and
docker load, podman load and skopeo read), oci-archive (an OCI image layout
as a tar) and oci-dir (an OCI image layout directory, -o names it). Each
format holds several images; in the OCI ones each is named in index.json by
its full name. The archive appears only once it is complete. An archive is
never written to a terminal.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Images = args
			return helper.Run(request.Request{Store: g.store(), Save: &r})
		},
	}
	cmd.Flags().StringVarP(&r.Output, "output", "o", "", "write to FILE (a directory for oci-dir) instead of stdout")
	cmd.Flags().StringVar(&r.Format, "format", "docker-archive", "docker-archive, oci-archive or oci-dir")
	return cmd
}
