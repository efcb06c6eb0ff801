package main

import "github.com/spf13/cobra"

// imageCommands are the image commands that `urun` has at its top level
// as well as under `urun image` (Docker's docker pull / docker image pull).
func imageCommands(g *globals) []*cobra.Command {
	return []*cobra.Command{newPullCommand(g), newSaveCommand(g), newLoadCommand(g), newImportCommand(g), newImagesCommand(g), newTagCommand(g), newRmiCommand(g), newHistoryCommand(g), newPushCommand(g), newBuildCommand(g)}
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
		if c.Name() == "rmi" {
			c.Use, c.Aliases = "rm [OPTIONS] IMAGE...", []string{"rmi", "remove"}
		}
		cmd.AddCommand(c)
	}
	cmd.AddCommand(newImagePruneCommand(g), newImageInspectCommand(g))
	return cmd
}
