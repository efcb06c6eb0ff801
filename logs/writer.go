// Package logs keeps a detached container's output in the k8s-file format
// that podman's conmon and the kubelet write: one entry a line,
//
//	2026-12-02T10:18:40.123456789Z stdout F the line's text
//
// with the time (UTC, RFC 3339, nanoseconds), the stream (stdout or
// stderr) and F for a full line or P for part of one (output that did not
// end in a newline when it was read), so that the two streams stay apart
// and every line has its time. The monitor writes (writer.go); `urun logs`
// reads (reader.go).
package logs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	units "github.com/docker/go-units"
)

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so that
// entries line up and sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Options are the --log-opt settings.
type Options struct {
	// MaxSize rotates the log once it would grow past this many bytes
	// (0: never).
	MaxSize int64 `json:"max_size,omitempty"`
	// MaxFiles is how many files are kept, the current one included, once
	// the log rotates; 1 starts the log afresh.
	MaxFiles int `json:"max_files,omitempty"`
}

// ParseOptions reads --log-opt values: max-size=SIZE (10k, 20m, 1g) and
// max-file=N, as Docker's json-file driver takes them.
func ParseOptions(opts []string) (Options, error) {
	o := Options{MaxFiles: 1}
	for _, opt := range opts {
		key, value, ok := strings.Cut(opt, "=")
		switch {
		case !ok:
			return o, fmt.Errorf("--log-opt %q: want KEY=VALUE (max-size=10m, max-file=3)", opt)
		case key == "max-size":
			n, err := units.RAMInBytes(value)
			if err != nil || n <= 0 {
				return o, fmt.Errorf("--log-opt max-size=%s: want a positive size such as 10k, 20m or 1g", value)
			}
			o.MaxSize = n
		case key == "max-file":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return o, fmt.Errorf("--log-opt max-file=%s: want a whole number of at least 1", value)
			}
			o.MaxFiles = n
		default:
			return o, fmt.Errorf("--log-opt %q: unknown option; urun's log takes max-size and max-file", key)
		}
	}
	if o.MaxFiles > 1 && o.MaxSize == 0 {
		return o, fmt.Errorf("--log-opt max-file needs max-size: without a size the log never rotates")
	}
	return o, nil
}

// Writer appends entries to a container's log, rotating it by Options.
type Writer struct {
	path string
	opts Options
	mu   sync.Mutex
	f    *os.File
	size int64
}

// Create opens the log at path for appending, creating it if needed.
func Create(path string, o Options) (*Writer, error) {
	w := &Writer{path: path, opts: o}
	if err := w.open(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *Writer) open() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the container's log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the container's log: %w", err)
	}
	w.f, w.size = f, st.Size()
	return nil
}

// Close closes the log file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.f.Close()
}

// Stream returns a writer whose output becomes entries of stream name
// ("stdout" or "stderr"). Each write's complete lines become F entries
// and a trailing part without newline a P entry, at once: a prompt shows
// in the log before its line is finished.
func (w *Writer) Stream(name string) io.Writer {
	return streamWriter{w: w, prefix: " " + name + " "}
}

type streamWriter struct {
	w      *Writer
	prefix string
}

func (s streamWriter) Write(p []byte) (int, error) {
	now := time.Now().UTC().Format(timeLayout)
	var buf bytes.Buffer
	buf.Grow(len(p) + 48*(bytes.Count(p, []byte{'\n'})+1))
	for rest := p; len(rest) > 0; {
		line, after, full := bytes.Cut(rest, []byte{'\n'})
		buf.WriteString(now)
		buf.WriteString(s.prefix)
		if full {
			buf.WriteString("F ")
		} else {
			buf.WriteString("P ")
		}
		buf.Write(line)
		buf.WriteByte('\n')
		rest = after
	}
	if err := s.w.append(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (w *Writer) append(entries []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.opts.MaxSize > 0 && w.size > 0 && w.size+int64(len(entries)) > w.opts.MaxSize {
		if err := w.rotate(); err != nil {
			return err
		}
	}
	n, err := w.f.Write(entries)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write the container's log: %w", err)
	}
	return nil
}

// rotate moves the log to PATH.1 (and PATH.1 to PATH.2, up to
// MaxFiles-1) and starts a new one; with one file it starts afresh.
func (w *Writer) rotate() error {
	w.f.Close()
	for i := w.opts.MaxFiles - 1; i >= 1; i-- {
		os.Rename(RotatedPath(w.path, i-1), RotatedPath(w.path, i))
	}
	if w.opts.MaxFiles <= 1 {
		os.Remove(w.path)
	}
	return w.open()
}

// RotatedPath is the n-th older file of the log at path (0: path itself).
func RotatedPath(path string, n int) string {
	if n == 0 {
		return path
	}
	return path + "." + strconv.Itoa(n)
}
