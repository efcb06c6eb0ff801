package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/rootfscopy"
)

func newCpCommand(g *globals) *cobra.Command {
	var o rootfscopy.CopyOptions
	cmd := &cobra.Command{
		Use: `cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-
  urun cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH`,
		Short: "Copy files between a container and the host",
		Long: `Copy files or directories between a container and the host, as docker cp
does; the container may be running or stopped. Paths in the container are
taken from its root; symlinks in it never lead outside it.

- A file copied to an existing directory goes into it; to a path that does
  not exist, it takes that name (its parent directory must exist).
- A directory is copied with its contents; to an existing directory it goes
  into it, and a source ending in "/." copies only its contents.
- "-" is a tar stream: on stdout when copying out, on stdin (unpacked into
  a directory) when copying in.

Files copied out belong to you on the host, whatever their owner in the
container; files copied in belong to the container's root, unless -a keeps
their owners (mapped through the container's user namespace). Modes and
modification times are kept.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			o.Src, o.Dst = args[0], args[1]
			return rootfscopy.Copy(cfg, o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.FollowLink, "follow-link", "L", false, "follow a symbolic link that SRC_PATH names")
	fl.BoolVarP(&o.Archive, "archive", "a", false, "copy in with the files' uids and gids (mapped through the container's user namespace) instead of root's")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "do not say how much was copied (said only when stderr is a terminal)")
	return cmd
}
