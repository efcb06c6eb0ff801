package main

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/logs"
)

func newLogsCommand(g *globals) *cobra.Command {
	var o logs.ReadOptions
	var since, until, tail string
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Show a detached container's output",
		Long: `Show the output of a container started with -d (or 'urun start'): its stdout
on stdout and its stderr on stderr. urun keeps it in the k8s-file format beside
the container's writable layer (ctr.log): one line each, with the time, the
stream and F (full line) or P (part of a line). --since and --until take
RFC 3339 times (2026-12-02T10:00:00Z), Unix times or durations before now
(10m, 1h30m).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			var err error
			if o.Tail, err = logs.ParseTail(tail); err != nil {
				return err
			}
			if o.Since, err = logs.ParseTime(since, now); err != nil {
				return err
			}
			if o.Until, err = logs.ParseTime(until, now); err != nil {
				return err
			}
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			path := containers.LogPath(cfg, c.State)
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && !c.Detached {
				return errors.New("the container ran in the foreground: its output went to the terminal and was not kept (run it with -d to keep a log)")
			}
			o.Running = func() bool { return containers.Running(c.Dir) }
			return logs.Read(path, o, os.Stdout, os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "follow the output until the container ends")
	fl.StringVar(&since, "since", "", "show output since a time or a duration before now")
	fl.StringVar(&until, "until", "", "show output before a time or a duration before now")
	fl.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show each line's time")
	fl.StringVarP(&tail, "tail", "n", "all", "show only the last N lines (all: every line)")
	return cmd
}
