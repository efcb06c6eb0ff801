// Package health is a container's health check as Docker's: the check a
// container is given (its image's HEALTHCHECK merged with the --health-*
// flags, kept in the container's settings as Docker's
// .Config.Healthcheck), and the record of its results (Docker's
// .State.Health), a small file beside the container's run state.
//
// Nothing here runs a check: package launch does, in the process that
// holds the container (a detached container's monitor, or a foreground
// `urun run`), and `urun healthcheck run`. Every change of the record is
// a read, change and atomic write under the record's own lock (Update),
// so that the two never lose each other's result.
package health

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/image/imagedoc"
)

// The values of State.Status, Docker's; None is the ps filter's value of
// a container without a check.
const (
	Starting  = "starting"
	Healthy   = "healthy"
	Unhealthy = "unhealthy"
	None      = "none"
)

// Docker's defaults for a field left 0, and what it keeps of the results.
const (
	DefaultInterval      = 30 * time.Second
	DefaultTimeout       = 30 * time.Second
	DefaultStartInterval = 5 * time.Second
	DefaultRetries       = 3
	// MaxLog results are kept, the newest last.
	MaxLog = 5
	// MaxOutput bytes of a check's output are kept.
	MaxOutput = 4096
	// MinDuration is the shortest interval, timeout, start period or start
	// interval Docker takes (0 meaning the default).
	MinDuration = time.Millisecond
)

// Check is a container's health check: Docker's Healthcheck, durations in
// nanoseconds, 0 meaning the default (or the image's, before Merge).
type Check = imagedoc.Healthcheck

// Enabled reports whether c is a check to run: not missing, not NONE.
func Enabled(c *Check) bool {
	return c != nil && len(c.Test) > 0 && c.Test[0] != "NONE"
}

// Merge returns the check a container gets: the flags' (nil if no flag
// was given) over the image's, field by field as Docker merges them: a
// test or a value the flags leave unset is the image's.
func Merge(image, flags *Check) *Check {
	if flags == nil {
		if image == nil {
			return nil
		}
		c := *image
		return &c
	}
	c := *flags
	if image == nil {
		return &c
	}
	if len(c.Test) == 0 {
		c.Test = image.Test
	}
	if c.Interval == 0 {
		c.Interval = image.Interval
	}
	if c.Timeout == 0 {
		c.Timeout = image.Timeout
	}
	if c.StartPeriod == 0 {
		c.StartPeriod = image.StartPeriod
	}
	if c.StartInterval == 0 {
		c.StartInterval = image.StartInterval
	}
	if c.Retries == 0 {
		c.Retries = image.Retries
	}
	return &c
}

// Command is the command line of the check: CMD's arguments, or
// CMD-SHELL's text run by /bin/sh -c.
func Command(c *Check) ([]string, error) {
	if !Enabled(c) {
		return nil, errors.New("the container has no health check")
	}
	switch c.Test[0] {
	case "CMD":
		if len(c.Test) < 2 {
			return nil, errors.New("the health check CMD has no command")
		}
		return c.Test[1:], nil
	case "CMD-SHELL":
		if len(c.Test) != 2 {
			return nil, fmt.Errorf("the health check CMD-SHELL wants one command line, not %d", len(c.Test)-1)
		}
		return []string{"/bin/sh", "-c", c.Test[1]}, nil
	}
	return nil, fmt.Errorf("unknown health check test %q: want CMD, CMD-SHELL or NONE", c.Test[0])
}

// Timing is a check's schedule with Docker's defaults filled in.
type Timing struct {
	Interval, Timeout, StartPeriod, StartInterval time.Duration
	Retries                                       int
}

// TimingOf fills in Docker's defaults.
func TimingOf(c *Check) Timing {
	or := func(ns int64, def time.Duration) time.Duration {
		if ns <= 0 {
			return def
		}
		return time.Duration(ns)
	}
	t := Timing{
		Interval: or(c.Interval, DefaultInterval), Timeout: or(c.Timeout, DefaultTimeout),
		StartPeriod: or(c.StartPeriod, 0), StartInterval: or(c.StartInterval, DefaultStartInterval),
		Retries: c.Retries,
	}
	if t.Retries <= 0 {
		t.Retries = DefaultRetries
	}
	return t
}

// NextWait is how long to wait before the next check: the start interval
// while the container starts (no check passed yet) within its start
// period, else the interval.
func (t Timing) NextWait(status string, sinceStart time.Duration) time.Duration {
	if status == Starting && sinceStart < t.StartPeriod {
		return t.StartInterval
	}
	return t.Interval
}

// State is Docker's .State.Health.
type State struct {
	Status        string
	FailingStreak int
	Log           []Result
}

// Result is one check's.
type Result struct {
	Start    time.Time
	End      time.Time
	ExitCode int
	Output   string
}

// Reset is the record at a start: starting, no failures, the earlier
// results kept (as Docker keeps them).
func (s *State) Reset() {
	s.Status, s.FailingStreak = Starting, 0
}

// Apply records a check's result as Docker does: a pass makes the
// container healthy; a failure counts, unless the container is still
// starting within its start period, and Retries failures in a row make
// it unhealthy. started is when the container started. It returns
// whether the status changed.
func (s *State) Apply(r Result, t Timing, started time.Time) bool {
	before := s.Status
	if len(r.Output) > MaxOutput {
		r.Output = r.Output[:MaxOutput]
	}
	s.Log = append(s.Log, r)
	if len(s.Log) > MaxLog {
		s.Log = s.Log[len(s.Log)-MaxLog:]
	}
	if r.ExitCode == 0 {
		s.FailingStreak = 0
		s.Status = Healthy
	} else if s.Status != Starting || r.Start.Sub(started) >= t.StartPeriod {
		s.FailingStreak++
		if s.FailingStreak >= t.Retries {
			s.Status = Unhealthy
		}
	}
	return s.Status != before
}

// Record is what the record's file holds: Docker's State, and the check
// the container runs, so that `urun healthcheck run` needs nothing else.
type Record struct {
	State
	Check *Check
}

// Read returns the record at path, nil when there is none.
func Read(path string) (*Record, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the health record: %w", err)
	}
	s := &Record{}
	if err := json.Unmarshal(data, s); err != nil {
		return nil, fmt.Errorf("read the health record %s: %w", path, err)
	}
	return s, nil
}

// Update changes the record at path under its lock (path.lock), so that
// the container's urun and `urun healthcheck run` never lose each other's
// result; a missing record starts empty. change may return an error to
// write nothing.
func Update(path string, change func(*Record) error) (Record, error) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return Record{}, fmt.Errorf("open the health record's lock: %w", err)
	}
	defer lock.Close()
	for {
		err = unix.Flock(int(lock.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		return Record{}, fmt.Errorf("lock the health record: %w", err)
	}
	s, err := Read(path)
	if err != nil || s == nil {
		s = &Record{} // a damaged record is replaced
	}
	if err := change(s); err != nil {
		return *s, err
	}
	if s.Log == nil {
		s.Log = []Result{}
	}
	return *s, atomicfile.WriteJSON(path, s)
}
