package main

import "github.com/spf13/cobra"

// imageCommands are the image commands that `urun` has at its top level
// as well as under `urun image` (Docker's docker pull / docker image pull).
func imageCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{newPullCommand(g), newImagesCommand(g)}
}

// newImageCommand is `urun image COMMAND`.
func newImageCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image COMMAND",
		Short: "Manage images",
		Args:  cobra.NoArgs,
	}
	for _, c := range imageCommands(g) {
		if c.Name() == "images" {
			c.Use, c.Aliases = "ls [OPTIONS]", []string{"list"}
		}
		cmd.AddCommand(c)
	}
	return cmd
}
