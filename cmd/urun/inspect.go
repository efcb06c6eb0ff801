package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/inspect"
)

// newInspectCommand is `urun inspect` or, with containersOnly, `urun
// container inspect`.
func newInspectCommand(g *globals, containersOnly bool) *cobra.Command {
	var o inspect.Options
	var typ string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] CONTAINER...",
		Short: "Show containers' configuration and state as JSON",
		Long: `Show containers' configuration and state as a JSON array shaped as
'docker container inspect' shows it, or with -f a Go template applied to
each, as Docker's: -f '{{.State.Status}}', -f '{{json .Config}}'.
Image inspect is not supported yet.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			switch typ {
			case "", "container":
			case "image":
				return errors.New("image inspect is not supported yet: urun inspect shows containers")
			default:
				return fmt.Errorf("--type %q: urun inspects containers only: use --type container", typ)
			}
			o.ContainersOnly = containersOnly || typ == "container"
			if o.Format != "" {
				if _, err := containers.ParseFormat(o.Format); err != nil {
					return err
				}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return combineErrors(len(args), inspect.Write(os.Stdout, cfg, args, o))
		},
	}
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", "format each container with a Go template")
	if !containersOnly {
		cmd.Flags().StringVar(&typ, "type", "", "type of object: container (images are not supported yet)")
	}
	return cmd
}
