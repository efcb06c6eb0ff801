package containers

import (
	"fmt"
	"strconv"
	"strings"
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

// Restarts says whether a container that ended with code is started
// again, after restartCount restarts; one that urun stop, restart or rm -f
// ended is not.
func (p RestartPolicy) Restarts(code, restartCount int, stoppedByUser bool) bool {
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
