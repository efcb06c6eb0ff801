package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/volumes"
)

func newPsCommand(g *globals) *cobra.Command {
	var all, latest bool
	var last int
	var filterArgs []string
	var o containers.PrintOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers (running ones; -a for all)",
		Long: `List containers: by default the running ones, with -a also the stopped ones,
newest first. A container runs for as long as its urun lives (its monitor,
for one started with -d or 'urun start'); one whose urun was killed shows as
exited (137).

--filter KEY=VALUE (repeatable; values of one key are alternatives, all keys
must match): status=created|running|restarting|exited (lists stopped
containers without -a), name=REGEXP, id=PREFIX, ancestor=IMAGE (the name
the container was run with, or an image id prefix), label=KEY[=VALUE] (a
container's labels are its image's), exited=CODE,
restart-policy=no|on-failure|always|unless-stopped, network=NAME|ID (running
containers on that network), before=CONTAINER and since=CONTAINER (created
before or after it), volume=NAME|CONTAINER-DIR, publish=PORT[/PROTO] and
expose=PORT[/PROTO] (or a range FIRST-LAST), health=starting|healthy|unhealthy|none.

--format takes table, json (one JSON object a line, as Docker's), or a Go
template of the fields .ID .Image .Command .CreatedAt .RunningFor .Ports
.Status .State .Names .Labels .Mounts .LocalVolumes .Networks .Size and
(.Label "KEY"), such as 'table {{.ID}}\t{{.Names}}'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, list, err := loadContainers(g)
			if err != nil {
				return err
			}
			filters, err := containers.ParseFilters(filterArgs)
			if err != nil {
				return err
			}
			if o.Format != "" && o.Format != "json" {
				if _, err := containers.ParseFormat(o.Format); err != nil {
					return err
				}
			}
			if latest {
				last = 1
			}
			// As Docker's: a template that shows the size measures it.
			if strings.Contains(o.Format, ".Size") {
				o.Size = true
			}
			if err := filters.CheckRefs(list); err != nil {
				return err
			}
			o.Labels, o.Config = containers.NewLabelSource(cfg), cfg
			list = filters.Keep(list, o.Labels)
			return containers.Print(os.Stdout, containers.Select(list, all || filters.HasStatus(), last), o, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "show all containers, not only running ones")
	fl.IntVarP(&last, "last", "n", -1, "show the n last created containers, in any state")
	fl.BoolVarP(&latest, "latest", "l", false, "show the last created container, in any state")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "show only container ids")
	fl.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate ids and commands")
	fl.BoolVarP(&o.Size, "size", "s", false, "show each container's writable layer size (and with its image's, the virtual size)")
	fl.StringArrayVarP(&filterArgs, "filter", "f", nil, "show only containers that match: KEY=VALUE (see above)")
	fl.StringVar(&o.Format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func newRmCommand(g *globals) *cobra.Command {
	var force, removeVolumes bool
	cmd := &cobra.Command{
		Use:   "rm [-f] [-v] CONTAINER...",
		Short: "Remove containers",
		Long: `Remove containers, named by name, full id or unique id prefix: their run
state and their writable layer. A running container is refused unless -f,
which kills it with SIGKILL first. -v removes their anonymous volumes too
(named volumes stay, as with Docker).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			// The record that names the volumes goes with the container.
			mounts := map[string][]spec.VolumeMount{}
			if removeVolumes {
				list, err := containers.List(cfg)
				if err != nil {
					return err
				}
				for _, ref := range args {
					if c, err := containers.Find(list, ref); err == nil {
						mounts[ref] = c.Volumes
					}
				}
			}
			var volumeErrs []error
			errs := containers.RemoveRefs(cfg, args, force, func(ref string) {
				fmt.Println(ref)
				if err := volumes.RemoveAnonymous(cfg, mounts[ref]); err != nil {
					volumeErrs = append(volumeErrs, fmt.Errorf("remove container %s's anonymous volumes: %w", ref, err))
				}
			})
			return combineErrors(len(args), append(errs, volumeErrs...))
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill and remove running containers")
	cmd.Flags().BoolVarP(&removeVolumes, "volumes", "v", false, "also remove the containers' anonymous volumes")
	return cmd
}

func newContainerCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "container COMMAND",
		Short: "Manage containers",
		Args:  cobra.NoArgs,
	}
	ls := newPsCommand(g)
	ls.Use, ls.Aliases = "ls [OPTIONS]", []string{"ps", "list"}
	rm := newRmCommand(g)
	rm.Aliases = []string{"remove"}
	cmd.AddCommand(ls, rm, newPruneCommand(g), newInspectCommand(g, true), newPortCommand(g), newRenameCommand(g), newTopCommand(g), newStatsCommand(g), newUpdateCommand(g),
		newRunCommand(g), newCreateCommand(g), newStartCommand(g), newStopCommand(g), newRestartCommand(g), newKillCommand(g),
		newWaitCommand(g), newPauseCommand(g, "pause"), newPauseCommand(g, "unpause"), newAttachCommand(g), newLogsCommand(g), newCommitCommand(g), newDiffCommand(g),
		newExecCommand(g), newCpCommand(g), newExportCommand(g))
	return cmd
}

func newPruneCommand(g *globals) *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all stopped containers",
		Long: `Remove all stopped containers, and writable layers left without any run state
(after a reboot cleared the run root). On a terminal it asks first, unless -f.

--filter (repeatable): label=KEY[=VALUE] and label!=KEY[=VALUE] (containers
with, or without, that label), until=TIME (containers created before TIME:
a duration such as 24h, a Unix time, or 2006-01-02T15:04:05). With a filter,
layers without run state are left alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := p.parse()
			if err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if !p.confirmed("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			pruned, err := containers.Prune(cfg, filters)
			containers.PrintPruned(os.Stdout, pruned)
			return err
		},
	}
	p.add(cmd, "containers")
	return cmd
}

// confirm asks question on the terminal and reports whether the answer was
// yes.
func confirm(question string) bool {
	fmt.Fprint(os.Stderr, question)
	answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
