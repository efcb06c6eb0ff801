package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/events"
)

// newEventsCommand is `urun events` (and `urun system events`).
func newEventsCommand(g *globals) *cobra.Command {
	var since, until, format string
	var filterArgs []string
	cmd := &cobra.Command{
		Use:   "events [OPTIONS]",
		Short: "Show what happened to containers, images, networks and volumes",
		Long: `Show events as 'docker events' does: each urun command that changes a
container, image, network or volume appends one to the event log of the
run root (RUNROOT/events/events.log, kept until the next reboot, at most
2 MiB: older events are dropped first). Without --until, urun waits for new
events and prints them as they come until it is interrupted.

Container events: create, start, die (exitCode), kill (signal), stop, oom,
destroy, rename, pause, unpause, restart, exec_create, exec_start,
exec_die. Image events: pull, push, tag, untag, delete, load, save,
import. Network events: create, connect, disconnect, destroy. Volume
events: create, destroy.

--since and --until take a duration before now (10m, 1h30m), a Unix time
(1733546401 or 1733546401.5) or an RFC 3339 date or time
(2026-12-07, 2026-12-07T04:40:01, 2026-12-07T04:40:01Z).

--filter KEY=VALUE (repeatable; values of one key are alternatives, all
keys must match): container=NAME|ID, event=ACTION, image=NAME|ID,
label=KEY[=VALUE], network=NAME|ID, type=container|image|network|volume,
volume=NAME.

--format json prints each event as one JSON object per line; a Go template
sees .Status .ID .From .Type .Action .Actor.ID .Actor.Attributes .Scope
.Time .TimeNano, as '{{.Action}} {{.Actor.Attributes.name}}'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := time.Now()
			var o events.ReadOptions
			var err error
			if since != "" {
				if o.Since, err = events.ParseTimestamp(since, now); err != nil {
					return fmt.Errorf("--since: %w", err)
				}
			}
			if until != "" {
				if o.Until, err = events.ParseTimestamp(until, now); err != nil {
					return fmt.Errorf("--until: %w", err)
				}
			}
			if o.Filters, err = events.ParseFilters(filterArgs); err != nil {
				return err
			}
			print, err := eventPrinter(format)
			if err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			// As Docker: without --until (or until a time to come),
			// new events are followed.
			o.Follow = o.Until.IsZero() || o.Until.After(now)
			// Ctrl-C ends it as it ends the Docker CLI's: by the signal
			// (status 130 in the shell).
			ctx := context.Background()
			out := bufio.NewWriter(os.Stdout)
			defer out.Flush()
			return events.Read(ctx, events.Path(cfg), o, func(m events.Message) error {
				if err := print(out, m); err != nil {
					return err
				}
				// Each event as it comes, for whoever reads the pipe.
				return out.Flush()
			})
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&since, "since", "", "show events since this time (see above)")
	fl.StringVar(&until, "until", "", "show events until this time, then exit")
	fl.StringArrayVarP(&filterArgs, "filter", "f", nil, "show only events that match: KEY=VALUE (see above)")
	fl.StringVar(&format, "format", "", "output format: json or a Go template")
	return cmd
}

// eventPrinter is how --format prints an event.
func eventPrinter(format string) (func(*bufio.Writer, events.Message) error, error) {
	switch format {
	case "":
		return func(w *bufio.Writer, m events.Message) error {
			_, err := fmt.Fprintln(w, events.TextLine(m))
			return err
		}, nil
	case "json":
		return func(w *bufio.Writer, m events.Message) error {
			return json.NewEncoder(w).Encode(m)
		}, nil
	}
	f, err := containers.ParseFormat(format)
	if err != nil {
		return nil, err
	}
	return func(w *bufio.Writer, m events.Message) error {
		if err := f.ExecuteOne(w, m); err != nil {
			return fmt.Errorf("format: %w", err)
		}
		return w.WriteByte('\n')
	}, nil
}
