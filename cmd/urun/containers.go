package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/launch"
)

func newPsCommand(g *globals) *cobra.Command {
	var all, latest bool
	var last int
	var o containers.PrintOptions
	cmd := &cobra.Command{
		Use:   "ps [OPTIONS]",
		Short: "List containers (running ones; -a for all)",
		Long: `List containers: by default the running ones, with -a also the stopped ones,
newest first. A container runs for as long as its urun lives; one whose urun
was killed shows as exited (137).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			list, err := containers.List(cfg)
			if err != nil {
				return err
			}
			if latest {
				last = 1
			}
			return containers.Print(os.Stdout, containers.Select(list, all, last), o, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "show all containers, not only running ones")
	fl.IntVarP(&last, "last", "n", -1, "show the n last created containers, in any state")
	fl.BoolVarP(&latest, "latest", "l", false, "show the last created container, in any state")
	fl.BoolVarP(&o.Quiet, "quiet", "q", false, "show only container ids")
	fl.BoolVar(&o.NoTrunc, "no-trunc", false, "do not truncate ids and commands")
	fl.StringVar(&o.Format, "format", "", "output format: json")
	return cmd
}

func newRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [-f] CONTAINER...",
		Short: "Remove containers",
		Long: `Remove containers, named by name, full id or unique id prefix: their run
state and their writable layer. A running container is refused unless -f,
which kills it with SIGKILL first.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			errs := containers.RemoveRefs(cfg, args, force, func(ref string) { fmt.Println(ref) })
			switch {
			case len(errs) == 0:
				return nil
			case len(args) == 1:
				return errs[0]
			}
			// Several containers: each failure is said, and urun fails as
			// docker rm does.
			for _, err := range errs {
				fmt.Fprintln(os.Stderr, "urun:", err)
			}
			return &launch.ExitError{Code: 1, Err: errors.New("")}
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill and remove running containers")
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
	cmd.AddCommand(ls, rm, newPruneCommand(g))
	return cmd
}

func newPruneCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [-f]",
		Short: "Remove all stopped containers",
		Long: `Remove all stopped containers, and writable layers left without any run state
(after a reboot cleared the run root). On a terminal it asks first, unless -f.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if !force && term.IsTerminal(int(os.Stdin.Fd())) && !confirm("WARNING! This will remove all stopped containers.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			pruned, err := containers.Prune(cfg)
			containers.PrintPruned(os.Stdout, pruned)
			return err
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not ask for confirmation")
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
