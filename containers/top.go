package containers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// DefaultTopOptions are the ps options `urun top` uses without any, as
// `docker top`.
var DefaultTopOptions = []string{"-ef"}

// ContainerPIDTitle is the column `urun top` adds after PID: each
// process's pid in the container.
const ContainerPIDTitle = "CPID"

// TopResult is `urun top`'s table: the title of each column and the rows,
// the last column (the command) keeping its spaces.
type TopResult struct {
	Titles    []string
	Processes [][]string
}

// Top lists the processes of the running container c (called ref) as the
// host's ps shows them with psOptions, plus the pid of each in the
// container.
func Top(c Container, ref string, psOptions []string) (TopResult, error) {
	procs, err := Processes(c.Dir, ref)
	if err != nil {
		return TopResult{}, err
	}
	if len(psOptions) == 0 {
		psOptions = DefaultTopOptions
	}
	cmd := exec.Command("ps", psOptions...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return TopResult{}, fmt.Errorf("urun top runs the host's ps, which is not installed: install procps")
		}
		return TopResult{}, fmt.Errorf("run ps %s: %w: %s", strings.Join(psOptions, " "), err, strings.TrimSpace(stderr.String()))
	}
	return parsePS(string(out), procs)
}

// parsePS keeps the lines of ps's output that are procs', as Docker's
// top does: the first line titles the columns, split at blanks, the last
// column is the rest of the line.
func parsePS(out string, procs []Proc) (TopResult, error) {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	titles := strings.Fields(lines[0])
	pidCol := slices.Index(titles, "PID")
	if pidCol < 0 {
		return TopResult{}, fmt.Errorf("ps's output has no PID column: give ps options that show it (such as -ef, aux or -o pid,comm)")
	}
	inside := map[int]int{}
	for _, p := range procs {
		inside[p.PID] = p.NSPID
	}
	r := TopResult{Titles: slices.Insert(slices.Clone(titles), pidCol+1, ContainerPIDTitle)}
	for _, line := range lines[1:] {
		fields := strings.Fields(line)
		if len(fields) < len(titles) {
			continue
		}
		// The last column keeps the rest of the line with its spaces.
		last := fields[:len(titles)-1]
		rest := line
		for _, f := range last {
			rest = strings.TrimLeft(rest, " \t")
			rest = rest[len(f):]
		}
		row := append(slices.Clone(last), strings.TrimLeft(rest, " \t"))
		pid, err := strconv.Atoi(row[pidCol])
		if err != nil {
			return TopResult{}, fmt.Errorf("ps's PID column holds %q: give ps options that show numeric pids", row[pidCol])
		}
		nsPID, ok := inside[pid]
		if !ok {
			continue
		}
		r.Processes = append(r.Processes, slices.Insert(row, pidCol+1, strconv.Itoa(nsPID)))
	}
	return r, nil
}

// Print writes the table with aligned columns, as `docker top` does.
func (r TopResult) Print(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 20, 1, 3, ' ', 0)
	fmt.Fprintln(tw, strings.Join(r.Titles, "\t"))
	for _, row := range r.Processes {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}
