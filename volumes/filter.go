package volumes

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Filters are `volume ls --filter` and `volume prune --filter` options,
// as Docker takes them: a key's values are alternatives, keys must all
// match.
type Filters struct {
	names    []*regexp.Regexp
	labels   []string
	drivers  []string
	dangling *bool
}

// ParseFilters reads --filter values; prune takes only label filters.
func ParseFilters(args []string, prune bool) (Filters, error) {
	var f Filters
	keys := "dangling, driver, label, name"
	if prune {
		keys = "label"
	}
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		if !ok || value == "" && key != "label" {
			return f, fmt.Errorf("--filter %q: want KEY=VALUE with KEY one of %s", arg, keys)
		}
		if prune && key != "label" && key != "label!" {
			return f, fmt.Errorf("--filter %q: invalid filter %q: prune takes %s", arg, key, keys)
		}
		switch key {
		case "name":
			re, err := regexp.Compile(value)
			if err != nil {
				return f, fmt.Errorf("--filter %q: the name is a regular expression: %w", arg, err)
			}
			f.names = append(f.names, re)
		case "label":
			f.labels = append(f.labels, value)
		case "driver":
			f.drivers = append(f.drivers, value)
		case "dangling":
			b, err := strconv.ParseBool(value)
			if err != nil {
				return f, fmt.Errorf("--filter %q: dangling takes true or false", arg)
			}
			f.dangling = &b
		default:
			return f, fmt.Errorf("--filter %q: invalid filter %q: want one of %s", arg, key, keys)
		}
	}
	return f, nil
}

// Match reports whether v passes the filters; used says a container
// uses it (dangling=false).
func (f Filters) Match(v Volume, used bool) bool {
	if f.dangling != nil && *f.dangling == used {
		return false
	}
	if len(f.names) > 0 && !anyMatch(len(f.names), func(i int) bool { return f.names[i].MatchString(v.Name) }) {
		return false
	}
	if len(f.drivers) > 0 && !anyMatch(len(f.drivers), func(i int) bool { return f.drivers[i] == v.Driver }) {
		return false
	}
	for _, l := range f.labels {
		key, value, hasValue := strings.Cut(l, "=")
		got, ok := v.Labels[key]
		if !ok || hasValue && got != value {
			return false
		}
	}
	return true
}

func anyMatch(n int, match func(int) bool) bool {
	for i := range n {
		if match(i) {
			return true
		}
	}
	return false
}

// UsesDangling reports whether the filters need to know which volumes
// containers use.
func (f Filters) UsesDangling() bool { return f.dangling != nil }
