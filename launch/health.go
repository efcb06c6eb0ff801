package launch

import (
	"fmt"
	"os"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/health"
)

// healthChecks runs a container's health check on its schedule while the
// container runs, in the urun that holds the container: a detached
// container's monitor, or `urun run`'s own process in the foreground.
type healthChecks struct {
	c       *container
	check   *health.Check
	command []string
	timing  health.Timing
	path    string
	started time.Time
	// stop ends the checks, done says they ended; running is set once
	// they were started.
	stop, done chan struct{}
	running    bool
}

// withHealthChecks returns started wrapped so that the container's health
// checks start once its command did, and stop, which ends them when the
// container ended. A container without a health check gets started as it
// is and a stop that does nothing: it costs the start nothing.
func (c *container) withHealthChecks(started func(error)) (func(error), func()) {
	if !health.Enabled(c.settings.Healthcheck) {
		return started, func() {}
	}
	h := &healthChecks{
		c: c, check: c.settings.Healthcheck, timing: health.TimingOf(c.settings.Healthcheck),
		path: containers.HealthPath(c.stateDir), stop: make(chan struct{}), done: make(chan struct{}),
	}
	command, err := health.Command(h.check)
	if err != nil {
		fmt.Fprintf(c.stderr, "urun: the container's health check is not run: %v\n", err)
		return started, func() {}
	}
	h.command = command
	wrapped := func(err error) {
		// The record says "starting" before `run -d` returns.
		if err == nil && h.begin() {
			h.running = true
			go h.run()
		}
		if started != nil {
			started(err)
		}
	}
	return wrapped, h.end
}

// begin writes the record of a start: the check, starting, no failures,
// the earlier results kept.
func (h *healthChecks) begin() bool {
	h.started = h.c.state.StartedAt
	if h.started.IsZero() {
		h.started = time.Now()
	}
	_, err := health.Update(h.path, func(rec *health.Record) error {
		rec.Check = h.check
		rec.Reset()
		return nil
	})
	if err != nil {
		fmt.Fprintf(h.c.stderr, "urun: the container's health check is not run: %v\n", err)
		return false
	}
	return true
}

// run checks on the schedule until stop.
func (h *healthChecks) run() {
	defer close(h.done)
	status := health.Starting
	for {
		wait := time.NewTimer(h.timing.NextWait(status, time.Since(h.started)))
		select {
		case <-h.stop:
			wait.Stop()
			return
		case <-wait.C:
		}
		res := RunHealthCheck(h.c.stateDir, h.c.state.Cgroup, h.command, h.timing.Timeout, h.stop)
		select {
		case <-h.stop:
			return // the container ended: its last check says nothing
		default:
		}
		rec, err := ApplyHealthResult(h.c.cfg, h.c.state, h.path, res, h.timing, h.started)
		if err != nil {
			fmt.Fprintf(os.Stderr, "urun: record the container's health: %v\n", err)
			continue
		}
		status = rec.Status
	}
}

// end stops the checks once the container ended and marks it unhealthy,
// as Docker does when a container's checks stop.
func (h *healthChecks) end() {
	if !h.running {
		return
	}
	close(h.stop)
	<-h.done
	health.Update(h.path, func(rec *health.Record) error {
		rec.Status = health.Unhealthy
		return nil
	})
}

// ApplyHealthResult records a check's result in the health record of
// the container st (see health.State.Apply), under the record's lock,
// and returns the record. A change of status is an event, as Docker's
// "health_status: healthy".
func ApplyHealthResult(cfg *config.Config, st containers.State, path string, res health.Result, t health.Timing, started time.Time) (health.Record, error) {
	changed := false
	rec, err := health.Update(path, func(rec *health.Record) error {
		changed = rec.Apply(res, t, started)
		return nil
	})
	if err == nil && changed {
		containers.Emit(cfg, st, "health_status: "+rec.Status)
	}
	return rec, err
}
