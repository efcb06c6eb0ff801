package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/inspect"
)

// newInspectCommand is `urun inspect` or, with containersOnly, `urun
// container inspect`.
func newInspectCommand(g *globals, containersOnly bool) *cobra.Command {
	var o inspect.Options
	var typ string
	use, short := "inspect [OPTIONS] NAME|ID...", "Show containers' or images' configuration as JSON"
	long := `Show containers and images as a JSON array shaped as 'docker inspect' shows
them ('docker container inspect', 'docker image inspect'), or with -f a Go
template applied to each, as Docker's: -f '{{.State.Status}}',
-f '{{json .Config}}'; -f json is the JSON array. A name is looked for among the containers first, then
among the images; --type container or --type image looks only there.`
	if containersOnly {
		use, short = "inspect [OPTIONS] CONTAINER...", "Show containers' configuration and state as JSON"
		long = `Show containers' configuration and state as a JSON array shaped as
'docker container inspect' shows it, or with -f a Go template applied to
each, as Docker's: -f '{{.State.Status}}', -f '{{json .Config}}'; -f json
is the JSON array.`
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Format == "json" {
				o.Format = "" // Docker's --format json: the document as it is
			}
			switch {
			case typ == "image":
				return helper.Run(request.Request{Store: g.store(), Inspect: &request.Inspect{Images: args, Format: o.Format}})
			case typ == "" && !containersOnly:
				o.Images = inspect.HelperImages(g.store())
			case typ != "container" && typ != "":
				return fmt.Errorf("--type %q: want container or image", typ)
			}
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
	cmd.Flags().StringVarP(&o.Format, "format", "f", "", "json, or a Go template applied to each object")
	cmd.Flags().BoolVarP(&o.Size, "size", "s", false, "add each container's sizes: SizeRw (its writable layer) and SizeRootFs (with its image's layers)")
	if !containersOnly {
		cmd.Flags().StringVar(&typ, "type", "", "type of object: container or image (default: a container, else an image)")
	}
	return cmd
}
