package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"

	"github.com/urun/urun/health"
)

// healthFlags are the health check flags of `urun run` and `urun create`,
// Docker's: each one given replaces that field of the image's
// HEALTHCHECK.
type healthFlags struct {
	cmd                                           string
	interval, timeout, startPeriod, startInterval time.Duration
	retries                                       int
	none                                          bool
	fl                                            *pflag.FlagSet
}

func addHealthFlags(fl *pflag.FlagSet, f *healthFlags) {
	f.fl = fl
	fl.StringVar(&f.cmd, "health-cmd", "", "command line the health check runs in the container (with /bin/sh -c); exit 0 is healthy")
	fl.DurationVar(&f.interval, "health-interval", 0, "time between two checks, as 30s or 1m (default: the image's, else 30s)")
	fl.DurationVar(&f.timeout, "health-timeout", 0, "longest time a check may take before it is killed and counts as failed (default: the image's, else 30s)")
	fl.IntVar(&f.retries, "health-retries", 0, "failures in a row that make the container unhealthy (default: the image's, else 3)")
	fl.DurationVar(&f.startPeriod, "health-start-period", 0, "time the container has to start, in which failures do not count (default: the image's, else 0s)")
	fl.DurationVar(&f.startInterval, "health-start-interval", 0, "time between two checks in the start period (default: the image's, else 5s)")
	fl.BoolVar(&f.none, "no-healthcheck", false, "run no health check, not even the image's HEALTHCHECK")
}

// check is the container's health check as the flags give it, to merge
// over the image's (health.Merge): nil when no flag was given.
func (f *healthFlags) check() (*health.Check, error) {
	given := false
	for _, name := range []string{"health-cmd", "health-interval", "health-timeout", "health-retries", "health-start-period", "health-start-interval"} {
		if f.fl != nil && f.fl.Changed(name) {
			given = true
		}
	}
	if f.none {
		if given {
			return nil, errors.New("--no-healthcheck conflicts with the --health-* options: give one or the other")
		}
		return &health.Check{Test: []string{"NONE"}}, nil
	}
	if !given {
		return nil, nil
	}
	durations := []struct {
		name  string
		value time.Duration
	}{{"health-interval", f.interval}, {"health-timeout", f.timeout}, {"health-start-period", f.startPeriod}, {"health-start-interval", f.startInterval}}
	for _, d := range durations {
		if d.value < 0 {
			return nil, fmt.Errorf("--%s %s: cannot be negative", d.name, d.value)
		}
		if d.value > 0 && d.value < health.MinDuration {
			return nil, fmt.Errorf("--%s %s: want 0 (the default) or at least %s", d.name, d.value, health.MinDuration)
		}
	}
	if f.retries < 0 {
		return nil, fmt.Errorf("--health-retries %d: cannot be negative", f.retries)
	}
	c := &health.Check{
		Interval: int64(f.interval), Timeout: int64(f.timeout), StartPeriod: int64(f.startPeriod),
		StartInterval: int64(f.startInterval), Retries: f.retries,
	}
	if f.cmd != "" {
		c.Test = []string{"CMD-SHELL", f.cmd}
	}
	return c, nil
}
