package launch

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urun/urun/containers"
)

// The --restart policies, as Docker names them.
const (
	RestartNo            = "no"
	RestartOnFailure     = "on-failure"
	RestartAlways        = "always"
	RestartUnlessStopped = "unless-stopped"
)

// RestartPolicy is a parsed --restart.
type RestartPolicy struct {
	Name string `json:"name"`
	// MaxRetries bounds on-failure's restarts; 0 is no bound.
	MaxRetries int `json:"max_retries,omitempty"`
}

// String is the policy as --restart takes it.
func (p RestartPolicy) String() string {
	if p.Name == RestartOnFailure && p.MaxRetries > 0 {
		return p.Name + ":" + strconv.Itoa(p.MaxRetries)
	}
	if p.Name == "" {
		return RestartNo
	}
	return p.Name
}

// ParseRestartPolicy reads --restart: no, on-failure[:N], always,
// unless-stopped.
func ParseRestartPolicy(s string) (RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	p := RestartPolicy{Name: name}
	switch name {
	case "", RestartNo, RestartAlways, RestartUnlessStopped:
		if hasCount {
			return p, fmt.Errorf("--restart %s: only on-failure takes a maximum retry count", s)
		}
		if name == "" {
			p.Name = RestartNo
		}
	case RestartOnFailure:
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return p, fmt.Errorf("--restart %s: the maximum retry count must be a whole number, 0 or more", s)
			}
			p.MaxRetries = n
		}
	default:
		return p, fmt.Errorf("--restart %q: want no, on-failure[:MAX-RETRIES], always or unless-stopped", s)
	}
	return p, nil
}

// restarts says whether a container that ended with code is started
// again, after restartCount restarts.
func (p RestartPolicy) restarts(code, restartCount int, stoppedByUser bool) bool {
	if stoppedByUser {
		return false
	}
	switch p.Name {
	case RestartAlways, RestartUnlessStopped:
		return true
	case RestartOnFailure:
		return code != 0 && (p.MaxRetries == 0 || restartCount < p.MaxRetries)
	}
	return false
}

// Restart back-off, as Docker's: the first restart waits 100 ms, each
// next one twice as long, at most a minute; a run of 10 s or more starts
// the back-off over.
const (
	firstBackoff      = 100 * time.Millisecond
	maxBackoff        = time.Minute
	resetBackoffAfter = 10 * time.Second
)

// runWithRestarts runs the container and starts it again as its restart
// policy says, waiting longer each time. It returns the last exit status.
// stop, if set, ends the wait between restarts early and for good.
func (c *container) runWithRestarts(io streams, started func(error), exited func(int), stop <-chan struct{}) (int, error) {
	backoff := firstBackoff
	for {
		begin := time.Now()
		code, err := c.runOnce(io, started)
		started = nil
		if exited != nil {
			exited(code)
		}
		if !c.registered || c.state.Remove {
			return code, err
		}
		st, rerr := containers.ReadState(c.stateDir)
		if rerr != nil || !c.settings.Restart.restarts(code, st.RestartCount, st.StoppedByUser) {
			return code, err
		}
		if time.Since(begin) >= resetBackoffAfter {
			backoff = firstBackoff
		}
		if _, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
			st.Status = containers.StatusRestarting
			st.RestartCount++
			return nil
		}); err != nil {
			return code, err
		}
		select {
		case <-time.After(backoff):
		case <-stop:
			containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
				st.Status = containers.StatusExited
				return nil
			})
			return code, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
