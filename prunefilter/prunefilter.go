// Package prunefilter reads the --filter values Docker's prune commands
// share (container, network and system prune): label=KEY[=VALUE],
// label!=KEY[=VALUE] and until=TIME.
package prunefilter

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Filters are parsed prune filters; the zero value keeps everything.
type Filters struct {
	Labels, NotLabels []string
	// Until keeps what was created before it; zero keeps all.
	Until time.Time
}

// Parse reads --filter values; now is for durations (until=24h is 24
// hours before now).
func Parse(args []string, now time.Time) (Filters, error) {
	var f Filters
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		switch {
		case !ok:
			return f, fmt.Errorf("--filter %q: want label=KEY[=VALUE], label!=KEY[=VALUE] or until=TIME", a)
		case k == "label":
			f.Labels = append(f.Labels, v)
		case k == "label!":
			f.NotLabels = append(f.NotLabels, v)
		case k == "until":
			t, err := parseUntil(v, now)
			if err != nil {
				return f, fmt.Errorf("--filter %q: %w", a, err)
			}
			f.Until = t
		default:
			return f, fmt.Errorf("--filter %q: invalid filter '%s': prune takes label, label! and until", a, k)
		}
	}
	return f, nil
}

// parseUntil reads a duration before now (10m, 24h), a Unix time, or an
// RFC 3339 time or date.
func parseUntil(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil {
		return now.Add(-d), nil
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(secs, 0), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("until=%s: want a duration such as 24h, a Unix time, or a time such as 2006-01-02T15:04:05", v)
}

// IsZero says no filter was given.
func (f Filters) IsZero() bool {
	return len(f.Labels) == 0 && len(f.NotLabels) == 0 && f.Until.IsZero()
}

// Match says whether an object with these labels, created then, passes:
// every label= it has, no label!= it has, and made before until=.
func (f Filters) Match(labels map[string]string, created time.Time) bool {
	for _, l := range f.Labels {
		if !hasLabel(labels, l) {
			return false
		}
	}
	for _, l := range f.NotLabels {
		if hasLabel(labels, l) {
			return false
		}
	}
	return f.Until.IsZero() || created.Before(f.Until)
}

// hasLabel matches KEY or KEY=VALUE.
func hasLabel(labels map[string]string, filter string) bool {
	k, v, withValue := strings.Cut(filter, "=")
	got, ok := labels[k]
	return ok && (!withValue || got == v)
}
