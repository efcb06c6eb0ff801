package containers

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/network"
)

// psHeader titles `urun ps`'s template fields in a table, as Docker's.
var psHeader = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Ports": "PORTS", "Status": "STATUS", "State": "STATE",
	"Names": "NAMES", "Labels": "LABELS", "Label": "LABEL", "Size": "SIZE",
	"Mounts": "MOUNTS", "LocalVolumes": "LOCAL VOLUMES", "Networks": "NETWORKS",
}

// psRow is one container as `urun ps --format TEMPLATE` sees it: the
// fields Docker's templates have, as methods.
type psRow struct {
	c       Container
	now     time.Time
	noTrunc bool
	labels  *LabelSource
	// size is set with ps -s.
	size *Sizes
	// cfg finds its settings (PrintOptions.Config).
	cfg *config.Config
}

func (r psRow) ID() string {
	if r.noTrunc {
		return r.c.ID
	}
	return ShortID(r.c.ID)
}
func (r psRow) Image() string   { return local.Familiar(r.c.Image) }
func (r psRow) Command() string { return r.c.CommandText(r.noTrunc) }

// CreatedAt is Docker's: the local time, to the second.
func (r psRow) CreatedAt() string {
	return r.c.Created.Local().Format("2006-01-02 15:04:05 -0700 MST")
}
func (r psRow) RunningFor() string { return units.HumanDuration(r.now.Sub(r.c.Created)) + " ago" }
func (r psRow) Ports() string      { return r.c.PortsText() }
func (r psRow) Status() string     { return r.c.StatusText(r.now) }
func (r psRow) State() string      { return r.c.StateName() }
func (r psRow) Names() string      { return r.c.Name }

// Labels are the container's labels as Docker shows them: KEY=VALUE,
// comma-separated, sorted.
func (r psRow) Labels() string {
	l := r.labels.Of(r.c)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		out = append(out, k+"="+l[k])
	}
	return strings.Join(out, ",")
}

// Label is one label's value.
func (r psRow) Label(name string) string { return r.labels.Of(r.c)[name] }

// Size is Docker's SIZE: "0B" unless ps -s measured it.
func (r psRow) Size() string {
	if r.size == nil {
		return "0B"
	}
	return r.size.Text()
}

// Mounts are the volumes' names and the bind mounts' sources, as Docker
// lists them.
func (r psRow) Mounts() string {
	var out []string
	for _, v := range r.c.Volumes {
		name := v.Name
		if name == "" {
			name = v.Source
		}
		if !r.noTrunc && len(name) > 15 {
			name = name[:15] + "…"
		}
		out = append(out, name)
	}
	return strings.Join(out, ",")
}

// LocalVolumes is the number of volumes it mounts.
func (r psRow) LocalVolumes() string {
	n := 0
	for _, v := range r.c.Volumes {
		if v.Name != "" {
			n++
		}
	}
	return strconv.Itoa(n)
}

// Networks are the networks it is connected to while it runs, else the
// ones it was made with (or its network mode: host, none, slirp4netns),
// as Docker lists a stopped container's.
func (r psRow) Networks() string {
	var out []string
	for _, e := range r.c.ConnectedNetworks() {
		out = append(out, e.Network)
	}
	if len(out) == 0 && r.cfg != nil {
		if s, err := ReadSettings(r.cfg, r.c.State); err == nil {
			switch s.Network.Kind {
			case network.KindNetworks:
				for _, a := range s.Network.Networks {
					out = append(out, a.Name)
				}
			case network.KindContainer:
			default:
				out = append(out, s.Network.Kind)
			}
		}
	}
	return strings.Join(out, ",")
}

// MarshalJSON is the row as Docker's {{json .}} and --format json show
// it: every field as a string.
func (r psRow) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "->" in Ports stays as it is
	err := enc.Encode(map[string]string{
		"Command": r.Command(), "CreatedAt": r.CreatedAt(), "ID": r.ID(), "Image": r.Image(),
		"Labels": r.Labels(), "LocalVolumes": r.LocalVolumes(), "Mounts": r.Mounts(), "Names": r.Names(),
		"Networks": r.Networks(), "Ports": r.Ports(), "RunningFor": r.RunningFor(), "Size": r.Size(),
		"State": r.State(), "Status": r.Status(),
	})
	return bytes.TrimSpace(buf.Bytes()), err
}

// printTemplate writes list with a --format template.
func printTemplate(w io.Writer, list []Container, o PrintOptions, now time.Time) error {
	f, err := ParseFormat(o.Format)
	if err != nil {
		return err
	}
	return f.Execute(w, psHeader, psRows(list, o, now))
}

func psRows(list []Container, o PrintOptions, now time.Time) []any {
	rows := make([]any, 0, len(list))
	imageSizes := map[string]int64{}
	for _, c := range list {
		row := psRow{c: c, now: now, noTrunc: o.NoTrunc, labels: o.Labels, cfg: o.Config}
		if o.Size && o.Config != nil {
			s := SizeOf(o.Config, c, imageSizes)
			row.size = &s
		}
		rows = append(rows, row)
	}
	return rows
}
