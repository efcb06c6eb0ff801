package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/urun/urun/containers"
)

func newTopCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "top CONTAINER [ps OPTIONS]",
		Short: "Show a running container's processes",
		Long: `Show a running container's processes as the host's ps shows them (ps -ef
unless ps OPTIONS are given), with host pids, and after PID a column ` + containers.ContainerPIDTitle + `:
each process's pid inside the container.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			r, err := containers.Top(c, args[0], args[1:])
			if err != nil {
				return err
			}
			return r.Print(os.Stdout)
		},
	}
	// ps's options follow the container: they are not urun's.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

func newStatsCommand(g *globals) *cobra.Command {
	o := containers.StatsOptions{Interval: time.Second}
	cmd := &cobra.Command{
		Use:   "stats [OPTIONS] [CONTAINER...]",
		Short: "Show containers' use of CPU, memory, network and storage",
		Long: `Show the running containers' (or the named ones') CPU %, memory, network and
block I/O and number of processes, refreshed every second until
interrupted, or once with --no-stream. The figures come from the
container's cgroup (memory.current, memory.max, cpu.stat, pids.current,
io.stat) where it has one of its own (cgroup v2); otherwise they add up
what /proc tells of its processes, memory is the sum of their resident
sets and there is no memory limit (--). --format takes a Go template of the fields
.Container .ID .Name .CPUPerc .MemUsage .MemPerc .NetIO .BlockIO .PIDs
("table ..." for a table with a header), or json.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if o.Format != "" && o.Format != "json" {
				if _, err := containers.ParseFormat(o.Format); err != nil {
					return err
				}
			}
			o.Refs = args
			o.Terminal = term.IsTerminal(int(os.Stdout.Fd()))
			o.Notes = os.Stderr
			return containers.Stats(cfg, o, os.Stdout)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.All, "all", "a", false, "show every container, not only running ones")
	fl.BoolVar(&o.NoStream, "no-stream", false, "show the figures once")
	fl.BoolVar(&o.NoTrunc, "no-trunc", false, "show full container ids")
	fl.StringVar(&o.Format, "format", "", "format with a Go template, or json")
	return cmd
}
