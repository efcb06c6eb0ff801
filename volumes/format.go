package volumes

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
)

// Document is a volume as `docker volume inspect` shows it.
type Document struct {
	CreatedAt  string
	Driver     string
	Labels     map[string]string
	Mountpoint string
	Name       string
	Options    map[string]string
	Scope      string
}

// Inspect is v's document.
func (v Volume) Inspect() Document {
	return Document{
		CreatedAt: v.CreatedAt.Local().Format(time.RFC3339), Driver: v.Driver, Labels: v.Labels,
		Mountpoint: v.Mountpoint(), Name: v.Name, Options: v.Options, Scope: "local",
	}
}

// row is a volume as `volume ls --format` templates see it: Docker's
// fields, Labels as one K=V,… string and the Label function.
type row struct {
	Name, Driver, Mountpoint, Scope, Labels, Links, Size string
	// Availability, Group and Status are cluster volumes' in Docker: N/A.
	Availability, Group, Status string
	labels                      map[string]string
}

// Label is the value of label key.
func (r row) Label(key string) string { return r.labels[key] }

// ListOptions are `volume ls`'s output flags.
type ListOptions struct {
	Quiet   bool
	Format  string
	Filters Filters
}

// PrintList writes the volumes that pass o's filters as `docker volume ls`.
func PrintList(w io.Writer, cfg *config.Config, o ListOptions) error {
	list, err := List(cfg)
	if err != nil {
		return err
	}
	var used map[string][]string
	if o.Filters.UsesDangling() {
		if used, err = users(cfg); err != nil {
			return err
		}
	}
	var shown []Volume
	for _, v := range list {
		if o.Filters.Match(v, len(used[v.Name]) > 0) {
			shown = append(shown, v)
		}
	}
	if o.Quiet {
		for _, v := range shown {
			fmt.Fprintln(w, v.Name)
		}
		return nil
	}
	text := o.Format
	switch text {
	case "", "table":
		text = "table {{.Driver}}\t{{.Name}}"
	case "json":
		text = "{{json .}}"
	}
	format, err := containers.ParseFormat(text)
	if err != nil {
		return err
	}
	rows := make([]any, len(shown))
	for i, v := range shown {
		var labels []string
		for k, val := range v.Labels {
			labels = append(labels, k+"="+val)
		}
		sort.Strings(labels)
		rows[i] = row{
			Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint(), Scope: "local",
			Labels: strings.Join(labels, ","), Links: "N/A", Size: "N/A", labels: v.Labels,
			Availability: "N/A", Group: "N/A", Status: "N/A",
		}
	}
	header := map[string]string{"Name": "VOLUME NAME", "Driver": "DRIVER", "Mountpoint": "MOUNTPOINT", "Scope": "SCOPE", "Labels": "LABELS", "Links": "LINKS", "Size": "SIZE",
		"Availability": "AVAILABILITY", "Group": "GROUP", "Status": "STATUS"}
	return format.Execute(w, header, rows)
}

// PrintInspect writes the documents of the named volumes as a JSON array,
// or each through the Go template format.
func PrintInspect(w io.Writer, cfg *config.Config, names []string, format string) []error {
	var f *containers.Format
	if format != "" {
		var err error
		if f, err = containers.ParseFormat(format); err != nil {
			return []error{err}
		}
	}
	var docs []Document
	var errs []error
	for _, name := range names {
		v, err := Get(cfg, name)
		if err != nil {
			errs = append(errs, fmt.Errorf("No such volume: %s", name))
			continue
		}
		docs = append(docs, v.Inspect())
	}
	if f != nil {
		for _, d := range docs {
			if err := f.ExecuteOne(w, d); err != nil {
				return append(errs, fmt.Errorf("format: %w", err))
			}
			fmt.Fprintln(w)
		}
		return errs
	}
	if docs == nil {
		docs = []Document{}
	}
	data, err := json.MarshalIndent(docs, "", "    ")
	if err != nil {
		return append(errs, err)
	}
	fmt.Fprintf(w, "%s\n", data)
	return errs
}

// PrintPruned writes what Prune deleted as `docker volume prune` does.
func PrintPruned(w io.Writer, p Pruned) {
	if len(p.Names) > 0 {
		fmt.Fprintln(w, "Deleted Volumes:")
		for _, name := range p.Names {
			fmt.Fprintln(w, name)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Total reclaimed space: %s\n", units.HumanSize(float64(p.Reclaimed)))
}
