// Package logs keeps a container's output. Its default format
// (--log-driver k8s-file) is the one podman's conmon and the kubelet
// write: one entry a line,
//
//	2026-12-02T10:18:40.123456789Z stdout F the line's text
//
// with the time (UTC, RFC 3339, nanoseconds), the stream (stdout or
// stderr) and F for a full line or P for part of one (output that did not
// end in a newline when it was read), so that the two streams stay apart
// and every line has its time. --log-driver json-file writes Docker's
// json-file format instead (jsonfile.go), journald sends the entries to the
// journal (journald.go), none keeps nothing (options.go). A detached
// container's monitor writes, or `urun run`'s relay in the foreground
// (writer.go); `urun logs` reads (reader.go).
package logs

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"
)

// timeLayout is RFC 3339 with a fixed nine-digit fraction, so that
// entries line up and sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Writer appends entries to a container's log, rotating it by Options.
type Writer struct {
	path string
	opts Options
	// entry appends one entry in the driver's format.
	entry func(buf *bytes.Buffer, now time.Time, stream string, line []byte, full bool)
	mu    sync.Mutex
	f     *os.File
	size  int64
}

// Create opens the log file at path for appending, creating it if needed,
// in the k8s-file or json-file format as o.Driver says.
func Create(path string, o Options) (*Writer, error) {
	w := &Writer{path: path, opts: o, entry: k8sEntry}
	if o.Driver == DriverJSONFile {
		w.entry = jsonEntry
	}
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
// ("stdout" or "stderr"). Each write's complete lines become full entries
// and a trailing part without newline a partial one, at once: a prompt
// shows in the log before its line is finished.
func (w *Writer) Stream(name string) io.Writer {
	return streamWriter{w: w, name: name}
}

type streamWriter struct {
	w    *Writer
	name string
}

func (s streamWriter) Write(p []byte) (int, error) {
	now := time.Now().UTC()
	var buf bytes.Buffer
	buf.Grow(len(p) + 64*(bytes.Count(p, []byte{'\n'})+1))
	for rest := p; len(rest) > 0; {
		line, after, full := bytes.Cut(rest, []byte{'\n'})
		s.w.entry(&buf, now, s.name, line, full)
		rest = after
	}
	if err := s.w.append(buf.Bytes()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// k8sEntry is one line of the k8s-file format: time, stream, F or P, text.
func k8sEntry(buf *bytes.Buffer, now time.Time, stream string, line []byte, full bool) {
	buf.WriteString(now.Format(timeLayout))
	buf.WriteByte(' ')
	buf.WriteString(stream)
	if full {
		buf.WriteString(" F ")
	} else {
		buf.WriteString(" P ")
	}
	buf.Write(line)
	buf.WriteByte('\n')
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
