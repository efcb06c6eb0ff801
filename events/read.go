package events

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// ReadOptions say which events Read passes on.
type ReadOptions struct {
	// Since and Until bound the events' times (zero: no bound). Until
	// also ends following.
	Since, Until time.Time
	// Follow waits for new events once the log is read, until Until or
	// the context ends. Without Since only new events are passed on.
	Follow bool
	// Filters keep the events that match.
	Filters Filters
	// PollInterval is how often a followed log is looked at; 0 is 100 ms.
	PollInterval time.Duration
}

// Read passes each matching event of the log at path to emit, oldest
// first; see ReadOptions. A missing log has no events.
func Read(ctx context.Context, path string, o ReadOptions, emit func(Message) error) error {
	r := &reader{path: path, o: o, emit: emit}
	if o.PollInterval == 0 {
		r.o.PollInterval = 100 * time.Millisecond
	}
	defer r.close()
	if err := r.open(o.Follow && o.Since.IsZero()); err != nil {
		return err
	}
	for {
		if err := r.readAvailable(); err != nil {
			return err
		}
		if !o.Follow || r.past(time.Now()) {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(r.o.PollInterval):
		}
		if err := r.reopenIfRotated(); err != nil {
			return err
		}
	}
}

type reader struct {
	path string
	o    ReadOptions
	emit func(Message) error
	f    *os.File
	buf  *bufio.Reader
	// partial is a line whose end is not written yet.
	partial []byte
	// lastTime is the last event's time; lastLines are the lines read of
	// that time. After a rotation (resync) the new file's lines up to
	// them were passed on already.
	lastTime  int64
	lastLines map[string]bool
	resync    bool
}

func (r *reader) close() {
	if r.f != nil {
		r.f.Close()
	}
}

// open opens the log, at its end when only new events are wanted.
func (r *reader) open(atEnd bool) error {
	f, err := os.Open(r.path)
	if errors.Is(err, os.ErrNotExist) {
		// No event yet: the log is opened once it is made.
		return nil
	}
	if err != nil {
		return fmt.Errorf("open the event log: %w", err)
	}
	if atEnd {
		if _, err := f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return fmt.Errorf("read the event log: %w", err)
		}
	}
	r.f, r.buf, r.partial = f, bufio.NewReaderSize(f, 64<<10), nil
	return nil
}

// reopenIfRotated opens the log again once rotate (or a first event)
// made a new file.
func (r *reader) reopenIfRotated() error {
	path, err := os.Stat(r.path)
	if err != nil {
		return nil
	}
	if r.f != nil {
		open, err := r.f.Stat()
		if err == nil && os.SameFile(open, path) {
			return nil
		}
		r.f.Close()
		r.f = nil
		r.resync = true
	}
	return r.open(false)
}

// past reports whether Until is over.
func (r *reader) past(now time.Time) bool {
	return !r.o.Until.IsZero() && now.After(r.o.Until)
}

// readAvailable passes on the whole lines written so far.
func (r *reader) readAvailable() error {
	if r.f == nil {
		return nil
	}
	for {
		chunk, err := r.buf.ReadBytes('\n')
		if len(chunk) > 0 {
			r.partial = append(r.partial, chunk...)
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the event log: %w", err)
		}
		line := bytes.TrimSpace(r.partial)
		r.partial = r.partial[:0]
		if err := r.handle(line); err != nil {
			return err
		}
	}
}

// handle passes one line on if it is new and matches.
func (r *reader) handle(line []byte) error {
	var m Message
	if len(line) == 0 || json.Unmarshal(line, &m) != nil {
		// A line cut by a full disk or a crash.
		return nil
	}
	if r.resync {
		if m.TimeNano < r.lastTime || m.TimeNano == r.lastTime && r.lastLines[string(line)] {
			return nil
		}
		r.resync = false
	}
	if m.TimeNano != r.lastTime {
		r.lastTime, r.lastLines = m.TimeNano, map[string]bool{}
	}
	r.lastLines[string(line)] = true
	t := time.Unix(0, m.TimeNano)
	if !r.o.Since.IsZero() && t.Before(r.o.Since) {
		return nil
	}
	if !r.o.Until.IsZero() && t.After(r.o.Until) {
		return nil
	}
	if !r.o.Filters.Match(m) {
		return nil
	}
	return r.emit(m)
}
