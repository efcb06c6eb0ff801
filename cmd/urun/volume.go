package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/volumes"
)

func newVolumeCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "volume COMMAND",
		Short: "Manage volumes",
		Long: `Manage Docker's local volumes: directories urun keeps under its store
(GRAPHROOT/urun-volumes/NAME/_data) that containers mount with
-v NAME:/path, -v /path (a new anonymous volume), --mount type=volume or
their image's VOLUME paths.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newVolumeCreateCommand(g), newVolumeLsCommand(g), newVolumeInspectCommand(g),
		newVolumeRmCommand(g), newVolumePruneCommand(g))
	return cmd
}

func newVolumeCreateCommand(g *globals) *cobra.Command {
	var o volumes.CreateOptions
	var labels []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] [VOLUME]",
		Short: "Create a volume",
		Long: `Create a volume and print its name; without a name, one of 64 hex digits.
An existing volume of the name is left as it is. --opt takes the local
driver's options, rootless: type=tmpfs[,o=size=SIZE,mode=MODE] (each
container gets a tmpfs of its own) or type=none,o=bind,device=DIR (a host
directory).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.Name = args[0]
			}
			var err error
			if o.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			v, err := volumes.Create(cfg, o)
			if err != nil {
				return err
			}
			fmt.Println(v.Name)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Driver, "driver", "d", "local", "volume driver: only local")
	fl.StringArrayVarP(&o.Opts, "opt", "o", nil, "driver option KEY=VALUE: type=tmpfs|none, device=DIR, o=bind|size=SIZE")
	fl.StringArrayVar(&labels, "label", nil, "set a label KEY=VALUE")
	return cmd
}

// parseLabels reads --label KEY[=VALUE] values.
func parseLabels(values []string) (map[string]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, l := range values {
		key, value, _ := strings.Cut(l, "=")
		if key == "" {
			return nil, fmt.Errorf("--label %q: want KEY=VALUE", l)
		}
		out[key] = value
	}
	return out, nil
}

func newVolumeLsCommand(g *globals) *cobra.Command {
	var o volumes.ListOptions
	var filters []string
	cmd := &cobra.Command{
		Use:     "ls [OPTIONS]",
		Aliases: []string{"list"},
		Short:   "List volumes",
		Long: `List volumes. --filter takes dangling=true|false (used by no container),
name=REGEXP, label=KEY[=VALUE] and driver=local; --format a Go template of
.Name, .Driver, .Mountpoint, .Labels, .Scope (table for Docker's table), or json.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Filters, err = volumes.ParseFilters(filters, false); err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return volumes.PrintList(os.Stdout, cfg, o)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "show only volume names")
	fl.StringArrayVarP(&filters, "filter", "f", nil, "show only volumes that match KEY=VALUE")
	fl.StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func newVolumeInspectCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] VOLUME...",
		Short: "Show volumes as JSON",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return volumeErrors(volumes.PrintInspect(os.Stdout, cfg, args, format))
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format each volume with a Go template")
	return cmd
}

func newVolumeRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [OPTIONS] VOLUME...",
		Aliases: []string{"remove"},
		Short:   "Remove volumes",
		Long: `Remove volumes with their data. A volume that a container uses, running or
not, is refused: remove the container first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			return volumeErrors(volumes.Remove(cfg, args, force, func(name string) { fmt.Println(name) }))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not complain about volumes that do not exist")
	return cmd
}

func newVolumePruneCommand(g *globals) *cobra.Command {
	var o volumes.PruneOptions
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove unused volumes",
		Long: `Remove the anonymous volumes no container uses, or with -a every unused
volume, as Docker 23+ does. On a terminal it asks first, unless -f.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.Filters, err = volumes.ParseFilters(p.filters, true); err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			question := "WARNING! This will remove anonymous local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
			if o.All {
				question = "WARNING! This will remove all local volumes not used by at least one container.\nAre you sure you want to continue? [y/N] "
			}
			if !p.confirmed(question) {
				return nil
			}
			pruned, err := volumes.Prune(cfg, o)
			volumes.PrintPruned(os.Stdout, pruned)
			return err
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&p.force, "force", "f", false, "do not ask for confirmation")
	fl.BoolVarP(&o.All, "all", "a", false, "remove named volumes too, not only anonymous ones")
	fl.StringArrayVar(&p.filters, "filter", nil, "remove only volumes that match label=KEY[=VALUE]")
	return cmd
}

// volumeErrors is the status of a volume command that failed on some of
// its volumes: each is said and urun exits 1, as Docker does.
func volumeErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	for _, err := range errs[:len(errs)-1] {
		fmt.Fprintln(os.Stderr, "urun:", err)
	}
	return exitcode.New(1, errs[len(errs)-1])
}
