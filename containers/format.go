package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	units "github.com/docker/go-units"

	"github.com/urun/urun/config"
)

// Select picks what `urun ps` shows of list (newest first): the running
// containers, every one with all, or with last > 0 the last created ones
// whatever their state, as Docker's -n.
func Select(list []Container, all bool, last int) []Container {
	if last > 0 {
		return list[:min(last, len(list))]
	}
	if all {
		return list
	}
	var running []Container
	for _, c := range list {
		if c.Running {
			running = append(running, c)
		}
	}
	return running
}

// PrintOptions are `urun ps`'s output flags.
type PrintOptions struct {
	Quiet, NoTrunc bool
	// Format is "" or "table" (Docker's table), "json", or a Go template
	// (see ParseFormat) of Docker's ps fields.
	Format string
	// Labels finds the containers' labels for templates.
	Labels *LabelSource
}

// jsonContainer is one element of `urun ps --format json`, with the keys
// of podman's (an array, as `urun images --format json`).
type jsonContainer struct {
	ID        string   `json:"Id"`
	Names     []string `json:"Names"`
	Image     string   `json:"Image"`
	Command   []string `json:"Command"`
	CreatedAt string   `json:"CreatedAt"`
	State     string   `json:"State"`
	Status    string   `json:"Status"`
	ExitCode  int      `json:"ExitCode"`
	Ports     []Port   `json:"Ports"`
}

// Print writes list as `urun ps` does.
func Print(w io.Writer, list []Container, o PrintOptions, now time.Time) error {
	id := func(c Container) string {
		if o.NoTrunc {
			return c.ID
		}
		return ShortID(c.ID)
	}
	switch {
	case o.Format == "json":
		out := make([]jsonContainer, 0, len(list))
		for _, c := range list {
			out = append(out, jsonContainer{
				ID: c.ID, Names: []string{c.Name}, Image: c.Image, Command: c.Command,
				CreatedAt: c.Created.Format(time.RFC3339Nano), State: c.StateName(),
				Status: c.StatusText(now), ExitCode: c.ExitStatus(), Ports: c.PublishedPorts(),
			})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case o.Format != "" && o.Format != "table":
		// As Docker's, a template of one's own is shown even with -q.
		return printTemplate(w, list, o, now)
	case o.Quiet:
		for _, c := range list {
			if _, err := fmt.Fprintln(w, id(c)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES")
	for _, c := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\t%s\t%s\t%s\n", id(c), c.Image, c.CommandText(o.NoTrunc),
			units.HumanDuration(now.Sub(c.Created)), c.StatusText(now), c.PortsText(), c.Name)
	}
	return tw.Flush()
}

// RemoveRefs removes the containers refs name, each as Remove does, and
// calls removed for each one removed. With force a ref that names no
// container is no error, as with `docker rm -f`.
func RemoveRefs(cfg *config.Config, refs []string, force bool, removed func(ref string)) []error {
	list, err := List(cfg)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, ref := range refs {
		c, err := Find(list, ref)
		if err == nil {
			err = Remove(cfg, c, ref, force)
		}
		switch {
		case err == nil:
			removed(ref)
		case !(force && errors.Is(err, ErrNotFound)):
			errs = append(errs, err)
		}
	}
	return errs
}

// PrintPruned writes what Prune deleted as `docker container prune` does.
func PrintPruned(w io.Writer, p Pruned) {
	if len(p.IDs) > 0 {
		fmt.Fprintln(w, "Deleted Containers:")
		for _, id := range p.IDs {
			fmt.Fprintln(w, id)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Total reclaimed space: %s\n", units.HumanSize(float64(p.Reclaimed)))
}
