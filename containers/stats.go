package containers

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	units "github.com/docker/go-units"
)

// StatsNote is said once on stderr by `urun stats` when it shows a
// running container without a cgroup of its own: where its figures come
// from, and why MEM LIMIT and MEM % are "--".
const StatsNote = "urun: a container without a cgroup of its own (--cgroups=disabled, or a host without cgroup v2 delegation) is measured through /proc (the sum over its processes): it has no memory limit (--)"

// StatsRow is one line of `urun stats`, with the fields of Docker's
// templates.
type StatsRow struct {
	Container string
	ID        string
	Name      string
	CPUPerc   string
	MemUsage  string
	MemPerc   string
	NetIO     string
	BlockIO   string
	PIDs      string
}

// statsHeader titles the fields in a table, as Docker's.
var statsHeader = map[string]string{
	"Container": "CONTAINER", "ID": "CONTAINER ID", "Name": "NAME", "CPUPerc": "CPU %",
	"MemUsage": "MEM USAGE / LIMIT", "MemPerc": "MEM %", "NetIO": "NET I/O", "BlockIO": "BLOCK I/O", "PIDs": "PIDS",
}

// DefaultStatsFormat is Docker's table.
const DefaultStatsFormat = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}"

// MakeStatsRow shows c (called ref) with its usage now and, for the CPU %,
// before (zero: no CPU figure yet). A stopped container shows zeros, as
// with Docker.
func MakeStatsRow(c Container, ref string, before, now Usage, running bool) StatsRow {
	r := StatsRow{
		Container: ref, ID: ShortID(c.ID), Name: c.Name,
		CPUPerc: "0.00%", MemUsage: "0B / --", MemPerc: "--", NetIO: "0B / 0B", BlockIO: "0B / 0B", PIDs: "0",
	}
	if !running {
		return r
	}
	if sys := now.SystemTicks - before.SystemTicks; before.SystemTicks != 0 && sys > 0 && now.CPUTicks >= before.CPUTicks {
		cpu := float64(now.CPUTicks-before.CPUTicks) / float64(sys) * float64(now.OnlineCPUs) * 100
		r.CPUPerc = fmt.Sprintf("%.2f%%", cpu)
	}
	r.MemUsage = units.BytesSize(float64(now.Memory)) + " / --"
	if now.MemoryLimit > 0 {
		r.MemUsage = units.BytesSize(float64(now.Memory)) + " / " + units.BytesSize(float64(now.MemoryLimit))
		r.MemPerc = fmt.Sprintf("%.2f%%", float64(now.Memory)/float64(now.MemoryLimit)*100)
	}
	r.NetIO = "--"
	if now.NetOK {
		r.NetIO = ioText(now.NetRx, now.NetTx)
	}
	r.BlockIO = "--"
	if now.BlockOK {
		r.BlockIO = ioText(now.BlockRead, now.BlockWrite)
	}
	r.PIDs = fmt.Sprint(now.PIDs)
	return r
}

func ioText(in, out uint64) string {
	return units.HumanSizeWithPrecision(float64(in), 3) + " / " + units.HumanSizeWithPrecision(float64(out), 3)
}

// PrintStats writes rows with format: "" for Docker's table, "json" for
// one JSON object a line, or a Go template.
func PrintStats(w io.Writer, rows []StatsRow, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // as Docker's {{json .}}
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	if format == "" || format == "table" {
		format = DefaultStatsFormat
	}
	f, err := ParseFormat(format)
	if err != nil {
		return err
	}
	data := make([]any, len(rows))
	for i, r := range rows {
		data[i] = r
	}
	return f.Execute(w, statsHeader, data)
}

// StatsOptions are `urun stats`'s flags.
type StatsOptions struct {
	// Refs name the containers; none: every running one (with All, every
	// one), listed again at each refresh.
	Refs     []string
	All      bool
	NoStream bool
	// NoTrunc shows full ids.
	NoTrunc bool
	Format  string
	// Interval is the time between two readings.
	Interval time.Duration
	// Terminal clears the screen before each refresh.
	Terminal bool
	// Notes gets StatsNote, once, if a container shown has no cgroup.
	Notes io.Writer
}
