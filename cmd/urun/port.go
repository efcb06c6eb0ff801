package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
)

func newPortCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "port CONTAINER [PRIVATE_PORT[/PROTO]]",
		Short: "List a running container's published ports",
		Long: `List the ports a running container publishes on the host, as
"80/tcp -> 0.0.0.0:41234", or only the host addresses of one of its ports
(PROTO tcp unless given).`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			private := ""
			if len(args) == 2 {
				private = args[1]
			}
			lines, err := containers.PortLines(c, args[0], private)
			if err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Println(l)
			}
			return nil
		},
	}
}

func newRenameCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rename CONTAINER NEW_NAME",
		Short: "Rename a container",
		Long:  `Give a container, running or not, a new name that no other container has.`,
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			return containers.Rename(cfg, c, args[0], args[1])
		},
	}
}
