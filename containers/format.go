package containers

import (
	"errors"
	"fmt"
	"io"
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
	// Size is -s: the SIZE column.
	Size bool
	// Config is the store: where to measure sizes and read settings.
	Config *config.Config
	// Format is "" or "table" (Docker's table), "json" (one object per
	// line, as Docker's), or a Go template (see ParseFormat) of Docker's
	// ps fields.
	Format string
	// Labels finds the containers' labels for templates.
	Labels *LabelSource
}

// psTable and psSizeTable are Docker's default ps tables.
const (
	psTable     = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}"
	psSizeTable = psTable + "\t{{.Size}}"
)

// Print writes list as `urun ps` does.
func Print(w io.Writer, list []Container, o PrintOptions, now time.Time) error {
	switch {
	case o.Format == "json":
		o.Format = "{{json .}}"
		return printTemplate(w, list, o, now)
	case o.Format != "" && o.Format != "table":
		// As Docker's, a template of one's own is shown even with -q.
		return printTemplate(w, list, o, now)
	case o.Quiet:
		for _, c := range list {
			id := ShortID(c.ID)
			if o.NoTrunc {
				id = c.ID
			}
			if _, err := fmt.Fprintln(w, id); err != nil {
				return err
			}
		}
		return nil
	}
	o.Format = psTable
	if o.Size {
		o.Format = psSizeTable
	}
	return printTemplate(w, list, o, now)
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
