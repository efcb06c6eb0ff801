package containers

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	units "github.com/docker/go-units"

	"github.com/urun/urun/image/local"
)

// psHeader titles `urun ps`'s template fields in a table, as Docker's.
var psHeader = map[string]string{
	"ID": "CONTAINER ID", "Image": "IMAGE", "Command": "COMMAND", "CreatedAt": "CREATED AT",
	"RunningFor": "CREATED", "Ports": "PORTS", "Status": "STATUS", "State": "STATE",
	"Names": "NAMES", "Labels": "LABELS", "Label": "LABEL",
}

// psRow is one container as `urun ps --format TEMPLATE` sees it: the
// fields Docker's templates have, as methods.
type psRow struct {
	c       Container
	now     time.Time
	noTrunc bool
	labels  *LabelSource
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

// MarshalJSON is the row as Docker's {{json .}} shows it: every field
// as a string.
func (r psRow) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "->" in Ports stays as it is
	err := enc.Encode(map[string]string{
		"Command": r.Command(), "CreatedAt": r.CreatedAt(), "ID": r.ID(), "Image": r.Image(),
		"Labels": r.Labels(), "Names": r.Names(), "Ports": r.Ports(), "RunningFor": r.RunningFor(),
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
	rows := make([]any, 0, len(list))
	for _, c := range list {
		rows = append(rows, psRow{c: c, now: now, noTrunc: o.NoTrunc, labels: o.Labels})
	}
	return f.Execute(w, psHeader, rows)
}
