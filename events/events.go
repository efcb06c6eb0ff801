// Package events keeps urun's event log: without a daemon to tell, every
// urun command that changes a container, image, network or volume appends
// one JSON line to a file, and `urun events` reads it (and follows it).
//
// The log is RUNROOT/events/events.log. Docker keeps its events in the
// daemon's memory and podman in a file under its run root: neither keeps
// them across a reboot, and neither does urun (the run root is the user's
// runtime directory, a tmpfs). It is bounded: past MaxSize the older half
// is dropped (see rotate).
package events

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
)

// The event types, Docker's.
const (
	Container = "container"
	Image     = "image"
	Network   = "network"
	Volume    = "volume"
)

// Event is one thing that happened.
type Event struct {
	// Type is Container, Image, Network or Volume.
	Type string
	// Action is Docker's: create, start, die, stop, kill, destroy, pull,
	// tag, ...
	Action string
	// ID is the actor's: a container's full id, an image's id (or the
	// reference pulled or pushed), a network's id, a volume's name.
	ID string
	// Name is the actor's name (the attribute "name"), if it has one.
	Name string
	// Attributes are the actor's other attributes: image, exitCode,
	// signal, container, driver...
	Attributes map[string]string
	// Time is when it happened, in Unix nanoseconds; 0 is now.
	Time int64
}

// MaxSize bounds the log: once it is larger, the older half is dropped.
// Docker's daemon keeps the last 256 events in memory; 2 MiB is thousands.
const MaxSize = 2 << 20

// Path is the event log of cfg's run root.
func Path(cfg *config.Config) string {
	return filepath.Join(cfg.RunRoot, "events", "events.log")
}

// Record appends e to the log. It never fails the command: an event that
// cannot be written is lost. It costs one open, one append of one line,
// one fstat and one close; the line is below PIPE_BUF, so that appends of
// concurrent urun commands do not interleave.
func Record(cfg *config.Config, e Event) {
	if cfg == nil || cfg.RunRoot == "" {
		return
	}
	if e.Time == 0 {
		e.Time = time.Now().UnixNano()
	}
	line, err := json.Marshal(e.Message())
	if err != nil {
		return
	}
	line = append(line, '\n')
	if len(line) > maxLine {
		// A huge attribute (a label, a long command): without the
		// attributes the line still fits.
		e.Attributes = nil
		if line, err = json.Marshal(e.Message()); err != nil {
			return
		}
		line = append(line, '\n')
	}
	path := Path(cfg)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
			return
		}
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
			return
		}
	}
	defer f.Close()
	if _, err := f.Write(line); err != nil {
		return
	}
	var st unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) == nil && st.Size > MaxSize {
		rotate(path)
	}
}

// maxLine is PIPE_BUF: an O_APPEND write of at most this many bytes is
// not interleaved with another's on local file systems.
const maxLine = 4096
