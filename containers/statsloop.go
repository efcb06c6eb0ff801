package containers

import (
	"bytes"
	"io"
	"time"

	"github.com/urun/urun/config"
)

// clearScreen moves a terminal's cursor home and clears it, as `docker
// stats` does before each refresh.
const clearScreen = "\033[2J\033[H"

// Stats shows the containers' usage, as `docker stats`: after a first
// interval (the CPU % compares two readings), then with each interval
// until the process is interrupted, unless NoStream.
func Stats(cfg *config.Config, o StatsOptions, w io.Writer) error {
	list, err := List(cfg)
	if err != nil {
		return err
	}
	// Named containers are found once: an unknown one is an error, and a
	// named one that stops stays listed, with zeros.
	var named []Container
	for _, ref := range o.Refs {
		c, err := Find(list, ref)
		if err != nil {
			return err
		}
		named = append(named, c)
	}
	before := map[string]Usage{}
	read := func() ([]StatsRow, error) {
		list, err := List(cfg)
		if err != nil {
			return nil, err
		}
		targets, refs := statsTargets(list, named, o)
		rows := make([]StatsRow, 0, len(targets))
		now := map[string]Usage{}
		for i, c := range targets {
			u, uerr := Usage{}, error(nil)
			if c.Running {
				u, uerr = ReadUsage(c, refs[i])
			}
			running := c.Running && uerr == nil
			if running {
				now[c.ID] = u
			}
			if running && !u.Cgroup && o.Notes != nil {
				io.WriteString(o.Notes, StatsNote+"\n")
				o.Notes = nil
			}
			row := MakeStatsRow(c, refs[i], before[c.ID], u, running)
			if o.NoTrunc {
				row.ID = c.ID
			}
			rows = append(rows, row)
		}
		before = now
		return rows, nil
	}
	if _, err := read(); err != nil {
		return err
	}
	for {
		time.Sleep(o.Interval)
		rows, err := read()
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if o.Terminal && !o.NoStream {
			buf.WriteString(clearScreen)
		}
		if err := PrintStats(&buf, rows, o.Format); err != nil {
			return err
		}
		if _, err := w.Write(buf.Bytes()); err != nil || o.NoStream {
			return err
		}
	}
}

// statsTargets are the containers to show now and what to call each:
// the named ones as the user named them, else the running ones (every
// one with All) by their short id.
func statsTargets(list, named []Container, o StatsOptions) ([]Container, []string) {
	var targets []Container
	var refs []string
	if len(named) > 0 {
		for i, n := range named {
			c := Container{State: n.State, Dir: n.Dir}
			if cur, err := Find(list, n.ID); err == nil {
				c = cur
			}
			targets, refs = append(targets, c), append(refs, o.Refs[i])
		}
		return targets, refs
	}
	for _, c := range list {
		if c.Running || o.All {
			ref := ShortID(c.ID)
			if o.NoTrunc {
				ref = c.ID
			}
			targets, refs = append(targets, c), append(refs, ref)
		}
	}
	return targets, refs
}
