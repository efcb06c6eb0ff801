package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/rootfscopy"
)

func newExportCommand(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "export [-o FILE] CONTAINER",
		Short: "Write a container's file system as a tar archive",
		Long: `Write a container's whole file system, its image's files with its own
changes (deleted files left out), as a tar archive with the container's own
uids and gids, to stdout or to FILE. The container may be running or
stopped. A tar archive is never written to a terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return rootfscopy.Export(cfg, args[0], out)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to FILE instead of stdout")
	return cmd
}
