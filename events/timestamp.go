package events

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ParseTimestamp reads a --since or --until value as Docker does: a Go
// duration before now ("10m", "1h30m"), a Unix time in seconds with an
// optional fraction ("1733546401", "1733546401.123456789"), or an RFC 3339
// date, time or date and time (a time without zone is local).
func ParseTimestamp(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); err == nil && value != "0" {
		return now.Add(-d), nil
	}
	if secs, frac, _ := strings.Cut(value, "."); isDigits(secs) && (frac == "" || isDigits(frac)) {
		s, err := strconv.ParseInt(secs, 10, 64)
		if err == nil {
			var ns int64
			if frac != "" {
				frac = (frac + "000000000")[:9]
				ns, _ = strconv.ParseInt(frac, 10, 64)
			}
			return time.Unix(s, ns), nil
		}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, value); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02T15", "2006-01-02", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, value, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", value)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// TextLine is an event as `docker events` prints it without --format:
// "2026-12-07T04:40:01.123456789Z container start ID (image=alpine, name=web)".
func TextLine(m Message) string {
	var b strings.Builder
	b.WriteString(time.Unix(0, m.TimeNano).Format("2006-01-02T15:04:05.000000000Z07:00"))
	fmt.Fprintf(&b, " %s %s %s", m.Type, m.Action, m.Actor.ID)
	if len(m.Actor.Attributes) > 0 {
		keys := make([]string, 0, len(m.Actor.Attributes))
		for k := range m.Actor.Attributes {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString(" (")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k + "=" + m.Actor.Attributes[k])
		}
		b.WriteString(")")
	}
	return b.String()
}
