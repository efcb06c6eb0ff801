package main

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newDiffCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "diff CONTAINER",
		Short: "Show the files a container added, changed or deleted",
		Long: `Show the changes in a container's file system since it was made from its
image, as docker diff does: one line per path, "A" added, "C" changed, "D"
deleted, a directory before what it holds. A changed directory is shown for
the changes in it; the mount points urun makes (/etc/hosts, /proc...) are
not changes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			r := request.Diff{Layer: filepath.Join(containers.LayerDir(cfg, c.State), "diff"), Image: c.ImageID}
			return helper.Run(request.Request{Store: g.store(), Diff: &r})
		},
	}
}
