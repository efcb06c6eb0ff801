package logs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// ReadOptions are `urun logs`'s flags.
type ReadOptions struct {
	// Since and Until bound the entries' times; zero means no bound.
	Since, Until time.Time
	// Tail is how many of the last lines to show; negative shows all.
	Tail int
	// Timestamps puts each line's time before it.
	Timestamps bool
	// Follow keeps reading new output while Running says the container
	// may still write.
	Follow  bool
	Running func() bool
}

// pollInterval is how often a follower looks for new output.
const pollInterval = 50 * time.Millisecond

// entry is one parsed line of the log.
type entry struct {
	time    time.Time
	stderr  bool
	partial bool
	text    []byte
	stamp   []byte
}

// parseEntry reads one line of the log (without its newline).
func parseEntry(line []byte) (entry, bool) {
	stamp, rest, ok1 := bytes.Cut(line, []byte{' '})
	stream, rest, ok2 := bytes.Cut(rest, []byte{' '})
	tag, text, _ := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || len(tag) != 1 {
		return entry{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(stamp))
	if err != nil {
		return entry{}, false
	}
	return entry{time: t, stderr: string(stream) == "stderr", partial: tag[0] == 'P', text: text, stamp: stamp}, true
}

// printer writes entries to the two streams.
type printer struct {
	o              ReadOptions
	stdout, stderr io.Writer
	// lineStart: the next entry of each stream starts a line (its
	// timestamp is shown).
	lineStart [2]bool
}

func (p *printer) print(e entry) error {
	if !p.o.Since.IsZero() && e.time.Before(p.o.Since) || !p.o.Until.IsZero() && e.time.After(p.o.Until) {
		return nil
	}
	w, i := p.stdout, 0
	if e.stderr {
		w, i = p.stderr, 1
	}
	var buf []byte
	if p.o.Timestamps && p.lineStart[i] {
		buf = append(append(buf, e.stamp...), ' ')
	}
	buf = append(buf, e.text...)
	if !e.partial {
		buf = append(buf, '\n')
	}
	p.lineStart[i] = !e.partial
	_, err := w.Write(buf)
	return err
}

// Read prints the log at path (its rotated files first) to stdout and
// stderr, by stream, and with Follow goes on until the container ends.
func Read(path string, o ReadOptions, stdout, stderr io.Writer) error {
	p := &printer{o: o, stdout: stdout, stderr: stderr, lineStart: [2]bool{true, true}}
	var entries []entry
	oldest := 0
	for oldest < 1000 {
		if _, err := os.Stat(RotatedPath(path, oldest+1)); err != nil {
			break
		}
		oldest++
	}
	for n := oldest; n >= 1; n-- {
		if f, err := os.Open(RotatedPath(path, n)); err == nil {
			data, _ := io.ReadAll(f)
			f.Close()
			entries = appendEntries(entries, data)
		}
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) && len(entries) == 0 && !o.Follow {
		return nil
	}
	var tail []byte
	if err == nil {
		defer func() { f.Close() }()
		data, err := io.ReadAll(f)
		if err != nil {
			return fmt.Errorf("read the container's log: %w", err)
		}
		data, tail = completeLines(data)
		entries = appendEntries(entries, data)
	}
	start := 0
	if o.Tail >= 0 {
		start = tailStart(entries, o.Tail)
	}
	for _, e := range entries[start:] {
		if err := p.print(e); err != nil {
			return err
		}
	}
	if !o.Follow {
		return nil
	}
	return follow(path, f, tail, p)
}

// completeLines splits data after its last newline: a writer may be in
// the middle of the rest.
func completeLines(data []byte) (lines, rest []byte) {
	i := bytes.LastIndexByte(data, '\n')
	return data[:i+1], data[i+1:]
}

func appendEntries(entries []entry, data []byte) []entry {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		if e, ok := parseEntry(line); ok {
			entries = append(entries, e)
		}
		data = rest
	}
	return entries
}

// tailStart is the index of the first entry of the last n lines: a line
// is its P entries and the F entry that ends it.
func tailStart(entries []entry, n int) int {
	lines := 0
	for i := len(entries) - 1; i >= 0; i-- {
		// Entry i ends a line when it is full, or is the last one.
		if !entries[i].partial || i == len(entries)-1 {
			if lines == n {
				return i + 1
			}
			lines++
		}
	}
	return 0
}

// follow prints what is added to the log until Running says the
// container ended and everything it wrote was printed. A rotation shows
// as a new file at path: the old one is read to its end first.
func follow(path string, f *os.File, pending []byte, p *printer) error {
	buf := make([]byte, 256<<10)
	for {
		// Whether it ran is asked before the last read, so that output
		// written just before the end is not lost.
		running := p.o.Running != nil && p.o.Running()
		progressed := false
		if f != nil {
			for {
				n, err := f.Read(buf)
				if n > 0 {
					progressed = true
					var lines []byte
					lines, pending = completeLines(append(pending, buf[:n]...))
					for _, e := range appendEntries(nil, lines) {
						if err := p.print(e); err != nil {
							return err
						}
					}
					pending = append([]byte(nil), pending...)
				}
				if err != nil || n == 0 {
					break
				}
			}
		}
		if rotated(path, f) {
			if f != nil {
				f.Close()
			}
			var err error
			if f, err = os.Open(path); err != nil {
				f = nil
			}
			pending = nil
			continue
		}
		if !running && !progressed {
			if f != nil {
				f.Close()
			}
			return nil
		}
		if !progressed {
			time.Sleep(pollInterval)
		}
	}
}

// rotated reports whether path is no longer the file f has open.
func rotated(path string, f *os.File) bool {
	st, err := os.Stat(path)
	if err != nil {
		return false
	}
	if f == nil {
		return true
	}
	open, err := f.Stat()
	if err != nil {
		return true
	}
	a, b := st.Sys().(*syscall.Stat_t), open.Sys().(*syscall.Stat_t)
	return a.Ino != b.Ino || a.Dev != b.Dev
}

// ParseTime reads --since and --until: an RFC 3339 time, a Unix time
// (seconds, with an optional fraction) or a duration before now; "" is
// no bound.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want an RFC 3339 time (2026-12-02T10:00:00Z), a Unix time or a duration such as 10m", s)
}
