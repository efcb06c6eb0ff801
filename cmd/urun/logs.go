package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/logs"
)

func newLogsCommand(g *globals) *cobra.Command {
	var o logs.ReadOptions
	var since, until, tail string
	var details bool
	cmd := &cobra.Command{
		Use:   "logs [OPTIONS] CONTAINER",
		Short: "Show a container's output",
		Long: `Show a container's output: its stdout on stdout and its stderr on stderr.
Every container keeps a log, run in the foreground or with -d, except one run
in the foreground with --rm (removed when it exits, log and all) and one with
--log-driver none. The default driver, k8s-file, keeps it beside the
container's writable layer (ctr.log): one line each, with the time, the stream
and F (full line) or P (part of a line); json-file keeps Docker's format
there; journald sends it to the journal, read back with journalctl.
--since and --until take RFC 3339 times (2026-12-02T10:00:00Z, or without a
zone in local time), Unix times or durations before now (10m, 1h30m).
--details puts the attributes --log-opt labels, labels-regex, env and
env-regex asked for before each line (k=v,k2=v2 and a space), as Docker.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			var err error
			o.Tail = logs.ParseTail(tail)
			if o.Since, err = logs.ParseTime(since, now); err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			if o.Until, err = logs.ParseTime(until, now); err != nil {
				return fmt.Errorf("--until: %w", err)
			}
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			settings, err := containers.ReadSettings(cfg, c.State)
			if err != nil && c.Remove && !c.Detached {
				return fmt.Errorf("container %s runs in the foreground with --rm: its output is not kept, as it would be removed with the container when it exits (run it without --rm, or with -d, to keep a log)", args[0])
			}
			// Damaged settings: the log file is read as k8s-file or json-file.
			lo := settings.Log
			o.Running = func() bool { return containers.Running(c.Dir) }
			if details {
				o.Details = logs.DetailsPrefix(lo.Attrs(containers.NewLabelSource(cfg).Of(c), processEnv(settings)))
			}
			switch lo.DriverName() {
			case logs.DriverNone:
				return exitcode.New(1, logs.ErrNoReading)
			case logs.DriverJournald:
				return logs.ReadJournal(c.ID, o, os.Stdout, os.Stderr)
			}
			return logs.Read(containers.LogPath(cfg, c.State), o, os.Stdout, os.Stderr)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&o.Follow, "follow", "f", false, "follow the output until the container ends")
	fl.StringVar(&since, "since", "", "show output since a time or a duration before now")
	fl.StringVar(&until, "until", "", "show output before a time or a duration before now")
	fl.BoolVarP(&o.Timestamps, "timestamps", "t", false, "show each line's time")
	fl.StringVarP(&tail, "tail", "n", "all", "show only the last N lines (all, or anything but a number: every line)")
	fl.BoolVar(&details, "details", false, "show the attributes given with --log-opt labels/env before each line")
	return cmd
}

func processEnv(s containers.Settings) []string {
	if s.Spec == nil || s.Spec.Process == nil {
		return nil
	}
	return s.Spec.Process.Env
}
