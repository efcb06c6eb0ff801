package logs

import (
	"bufio"
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
	// Details, if set, goes before each line (after its time): the
	// container's log attributes (DetailsPrefix), `logs --details`.
	Details string
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

// parseEntry reads one line of the log (without its newline), in the
// k8s-file format or, when it is a JSON object, the json-file format.
func parseEntry(line []byte) (entry, bool) {
	if len(line) > 0 && line[0] == '{' {
		return parseJSONEntry(line)
	}
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
	if p.o.Details != "" && p.lineStart[i] {
		buf = append(buf, p.o.Details...)
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
// Memory stays bounded by the longest line (and, with Tail, by the lines
// shown): the whole log is streamed, and --tail reads the files from
// their end.
func Read(path string, o ReadOptions, stdout, stderr io.Writer) error {
	p := &printer{o: o, stdout: stdout, stderr: stderr, lineStart: [2]bool{true, true}}
	f, err := os.Open(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read the container's log: %w", err)
	}
	if f != nil {
		defer func() { f.Close() }()
	}
	var pending []byte
	if o.Tail >= 0 {
		pending, err = printTail(path, f, o.Tail, p)
	} else {
		pending, err = printAll(path, f, p)
	}
	if err != nil || !o.Follow {
		return err
	}
	g := f
	f = nil // follow closes it
	return follow(path, g, pending, p)
}

// rotatedCount is how many rotated files (path.1, path.2...) there are.
func rotatedCount(path string) int {
	n := 0
	for n < 1000 {
		if _, err := os.Stat(RotatedPath(path, n+1)); err != nil {
			break
		}
		n++
	}
	return n
}

// printAll streams the rotated files, oldest first, then the current
// one, f (nil when there is none), to its end; it returns what follows
// the current file's last newline (a writer may be in the middle of it).
func printAll(path string, f *os.File, p *printer) ([]byte, error) {
	for n := rotatedCount(path); n >= 1; n-- {
		old, err := os.Open(RotatedPath(path, n))
		if err != nil {
			continue // removed by a rotation meanwhile
		}
		_, err = printLines(old, p)
		old.Close()
		if err != nil {
			return nil, err
		}
	}
	if f == nil {
		return nil, nil
	}
	return printLines(f, p)
}

// printLines prints r's complete lines and returns the rest.
func printLines(r io.Reader, p *printer) ([]byte, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			long := append([]byte(nil), line...)
			var more []byte
			more, err = br.ReadBytes('\n')
			line = append(long, more...)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return append([]byte(nil), line...), nil
			}
			return nil, fmt.Errorf("read the container's log: %w", err)
		}
		if e, ok := parseEntry(line[:len(line)-1]); ok {
			if err := p.print(e); err != nil {
				return nil, err
			}
		}
	}
}

// printTail prints the last n lines of the log (a line is its P entries
// and the F entry that ends it), read backwards from the end of the
// current file f and then of the rotated files as far as needed, and
// leaves f at the end of what it read for follow; it returns what follows
// f's last newline.
func printTail(path string, f *os.File, n int, p *printer) ([]byte, error) {
	var pending []byte
	var cur *reverseLines
	if f != nil {
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, fmt.Errorf("read the container's log: %w", err)
		}
		cur = &reverseLines{f: f, pos: size}
		if pending, err = cur.cutIncomplete(); err != nil {
			return nil, err
		}
	}
	var rev []entry // the tail, newest first
	lines := 0
	first := true
	done := n == 0
	for k := 0; !done; k++ {
		var src *reverseLines
		switch {
		case k == 0 && f == nil:
			continue
		case k == 0:
			src = cur
		default:
			old, err := os.Open(RotatedPath(path, k))
			if err != nil {
				done = true
				continue
			}
			defer old.Close()
			st, err := old.Stat()
			if err != nil {
				return nil, fmt.Errorf("read the container's log: %w", err)
			}
			src = &reverseLines{f: old, pos: st.Size()}
		}
		for !done {
			line, err := src.prev()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			e, ok := parseEntry(line)
			if !ok {
				continue
			}
			// An entry ends a line when it is full, or is the newest.
			if !e.partial || first {
				if lines == n {
					done = true
					break
				}
				lines++
			}
			first = false
			rev = append(rev, e)
		}
	}
	for i := len(rev) - 1; i >= 0; i-- {
		if err := p.print(rev[i]); err != nil {
			return nil, err
		}
	}
	return pending, nil
}

// reverseLines reads a file's lines from its end to its start.
type reverseLines struct {
	f *os.File
	// pos is the file offset of data[0]; data is what is left to return
	// of the file up to where reading started.
	pos  int64
	data []byte
}

// minChunk is the least a backwards read reads.
const minChunk = 64 << 10

// more reads the chunk before data; false at the file's start.
func (r *reverseLines) more() (bool, error) {
	if r.pos == 0 {
		return false, nil
	}
	n := max(int64(minChunk), int64(len(r.data)))
	n = min(n, r.pos)
	buf := make([]byte, int(n)+len(r.data))
	if _, err := r.f.ReadAt(buf[:n], r.pos-n); err != nil {
		return false, fmt.Errorf("read the container's log: %w", err)
	}
	copy(buf[n:], r.data)
	r.data, r.pos = buf, r.pos-n
	return true, nil
}

// cutIncomplete drops what follows the last newline and returns it, and
// leaves the file's offset where reading started.
func (r *reverseLines) cutIncomplete() ([]byte, error) {
	end := r.pos
	for bytes.IndexByte(r.data, '\n') < 0 {
		ok, err := r.more()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
	}
	i := bytes.LastIndexByte(r.data, '\n')
	rest := append([]byte(nil), r.data[i+1:]...)
	r.data = r.data[:i+1]
	if _, err := r.f.Seek(end, io.SeekStart); err != nil {
		return nil, fmt.Errorf("read the container's log: %w", err)
	}
	return rest, nil
}

// prev returns the line before those already returned (without its
// newline), or io.EOF at the start of the file.
func (r *reverseLines) prev() ([]byte, error) {
	for {
		body := r.data
		if len(body) > 0 && body[len(body)-1] == '\n' {
			body = body[:len(body)-1]
		}
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			r.data = r.data[:i+1]
			return body[i+1:], nil
		}
		ok, err := r.more()
		if err != nil {
			return nil, err
		}
		if !ok {
			if len(r.data) == 0 {
				return nil, io.EOF
			}
			r.data = r.data[:0]
			return body, nil
		}
	}
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

// ParseTail reads --tail as Docker does: a number of lines; "all", a
// negative number or anything that is not a number is every line.
func ParseTail(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// ParseTime reads --since and --until as Docker does: an RFC 3339 time,
// one of Docker's shorter layouts (in the local time zone when it names
// none), a Unix time (seconds, with an optional fraction) or a duration
// before now; "" is no bound.
func ParseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z07:00", "2006-01-02T15:04Z07:00", "2006-01-02Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(0, int64(secs*1e9)), nil
	}
	return time.Time{}, fmt.Errorf("time %q: want an RFC 3339 time (2026-12-02T10:00:00Z), a Unix time or a duration such as 10m", s)
}
