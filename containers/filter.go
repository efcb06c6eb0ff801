package containers

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filters are `urun ps --filter KEY=VALUE` options, as Docker takes them:
// the values of one key are alternatives, different keys must all match.
type Filters struct {
	status, id, ancestor, label, restart []string
	health                               []string
	network, volume                      []string
	names                                []*regexp.Regexp
	exited                               []int
	// before and since are containers' names or ids; publish and expose
	// port filters.
	before, since   []string
	publish, expose []portFilter
}

// filterKeys are the keys --filter takes.
var filterKeys = []string{"ancestor", "before", "exited", "expose", "health", "id", "label", "name", "network", "publish", "restart-policy", "since", "status", "volume"}

// restartPolicies are the values of the restart-policy filter.
var restartPolicies = []string{"no", "on-failure", "always", "unless-stopped"}

// states are the values of Docker's status filter. urun's containers
// are never removing or dead: those match none.
var states = []string{"created", "running", "restarting", "exited", "paused", "removing", "dead"}

// ParseFilters reads --filter values.
func ParseFilters(args []string) (Filters, error) {
	var f Filters
	for _, arg := range args {
		key, value, ok := strings.Cut(arg, "=")
		if !ok || value == "" {
			return f, fmt.Errorf("--filter %q: want KEY=VALUE with KEY one of %s", arg, strings.Join(filterKeys, ", "))
		}
		switch key {
		case "status":
			if !slices.Contains(states, value) {
				return f, fmt.Errorf("--filter %q: invalid status: want one of %s", arg, strings.Join(states, ", "))
			}
			f.status = append(f.status, value)
		case "name":
			re, err := regexp.Compile(value)
			if err != nil {
				return f, fmt.Errorf("--filter %q: the name is a regular expression: %w", arg, err)
			}
			f.names = append(f.names, re)
		case "id":
			f.id = append(f.id, strings.ToLower(value))
		case "ancestor":
			f.ancestor = append(f.ancestor, value)
		case "label":
			f.label = append(f.label, value)
		case "network":
			f.network = append(f.network, value)
		case "restart-policy":
			if !slices.Contains(restartPolicies, value) {
				return f, fmt.Errorf("--filter %q: invalid restart policy: want one of %s", arg, strings.Join(restartPolicies, ", "))
			}
			f.restart = append(f.restart, value)
		case "health":
			if !slices.Contains(healthStates, value) {
				return f, fmt.Errorf("--filter %q: invalid health status: want one of %s", arg, strings.Join(healthStates, ", "))
			}
			f.health = append(f.health, value)
		case "before":
			f.before = append(f.before, value)
		case "since":
			f.since = append(f.since, value)
		case "volume":
			f.volume = append(f.volume, value)
		case "publish", "expose":
			p, err := parsePortFilter(value)
			if err != nil {
				return f, fmt.Errorf("--filter %q: %w", arg, err)
			}
			if key == "publish" {
				f.publish = append(f.publish, p)
			} else {
				f.expose = append(f.expose, p)
			}
		case "exited":
			code, err := strconv.Atoi(value)
			if err != nil {
				return f, fmt.Errorf("--filter %q: the exit code must be a number", arg)
			}
			f.exited = append(f.exited, code)
		default:
			return f, fmt.Errorf("--filter %q: unknown filter %q: urun filters by %s", arg, key, strings.Join(filterKeys, ", "))
		}
	}
	return f, nil
}

// HasStatus reports whether a status filter was given: as with Docker,
// it lists stopped containers without -a.
func (f Filters) HasStatus() bool { return len(f.status) > 0 }

// Match reports whether c passes every filter. labels gives c's labels.
func (f Filters) Match(c Container, labels *LabelSource) bool {
	return matchAny(f.status, func(s string) bool { return c.StateName() == s }) &&
		// Docker matches the name with its leading "/": ^/web$ works, and
		// so does ^web$ here.
		matchAny(f.names, func(re *regexp.Regexp) bool { return re.MatchString(c.Name) || re.MatchString("/"+c.Name) }) &&
		matchAny(f.id, func(p string) bool { return strings.HasPrefix(c.ID, p) }) &&
		matchAny(f.ancestor, func(a string) bool { return isAncestor(c, a) }) &&
		matchAny(f.exited, func(code int) bool { return c.StateName() == "exited" && c.ExitStatus() == code }) &&
		matchAny(f.restart, func(p string) bool { return p == c.RestartPolicy || p == RestartNo && c.RestartPolicy == "" }) &&
		matchAny(f.network, func(n string) bool { return onNetwork(c, n) }) &&
		matchAny(f.health, func(h string) bool { return c.HealthStatus() == h }) &&
		matchAny(f.volume, func(v string) bool { return mountsVolume(c, v) }) &&
		matchAny(f.publish, func(p portFilter) bool { return p.matchPublished(c, labels) }) &&
		matchAny(f.expose, func(p portFilter) bool { return p.matchExposed(c, labels) }) &&
		matchAll(f.label, func(l string) bool { return hasLabel(labels.Of(c), l) })
}

// onNetwork says whether the running container is on the network named,
// or whose id starts with, n.
func onNetwork(c Container, n string) bool {
	return slices.ContainsFunc(c.ConnectedNetworks(), func(e NetworkEndpoint) bool {
		return e.Network == n || len(n) >= 3 && strings.HasPrefix(e.NetworkID, n)
	})
}

// matchAny is true without values, else when one value matches.
func matchAny[T any](values []T, match func(T) bool) bool {
	return len(values) == 0 || slices.ContainsFunc(values, match)
}

// matchAll is true when every value matches: Docker's label filters all
// apply.
func matchAll[T any](values []T, match func(T) bool) bool {
	for _, v := range values {
		if !match(v) {
			return false
		}
	}
	return true
}

// isAncestor reports whether c was made from image a: the name the
// container was run with (a missing tag meaning latest), or a prefix of
// its image id.
func isAncestor(c Container, a string) bool {
	if a == c.Image || withLatest(a) == withLatest(c.Image) {
		return true
	}
	id := strings.TrimPrefix(a, "sha256:")
	return id != "" && strings.HasPrefix(strings.TrimPrefix(c.ImageID, "sha256:"), id)
}

// withLatest adds the default tag to a reference that has neither tag nor
// digest.
func withLatest(ref string) string {
	if strings.Contains(ref, "@") {
		return ref
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref
	}
	return ref + ":latest"
}

// hasLabel matches label=KEY (the label is set) or label=KEY=VALUE.
func hasLabel(labels map[string]string, filter string) bool {
	key, value, withValue := strings.Cut(filter, "=")
	v, ok := labels[key]
	return ok && (!withValue || v == value)
}

// CheckRefs fails, as Docker's, when a before or since filter names no
// container of list.
func (f Filters) CheckRefs(list []Container) error {
	for _, ref := range append(slices.Clone(f.before), f.since...) {
		if _, err := Find(list, ref); err != nil {
			return fmt.Errorf("--filter: %w", err)
		}
	}
	return nil
}

// Keep returns the containers of list that pass the filters (a before or
// since container that list lacks passes none).
func (f Filters) Keep(list []Container, labels *LabelSource) []Container {
	var before, since []time.Time
	for _, refs := range []struct {
		refs []string
		to   *[]time.Time
	}{{f.before, &before}, {f.since, &since}} {
		for _, ref := range refs.refs {
			c, err := Find(list, ref)
			if err != nil {
				return nil
			}
			*refs.to = append(*refs.to, c.Created)
		}
	}
	var out []Container
	for _, c := range list {
		if f.Match(c, labels) &&
			matchAll(before, func(t time.Time) bool { return c.Created.Before(t) }) &&
			matchAll(since, func(t time.Time) bool { return c.Created.After(t) }) {
			out = append(out, c)
		}
	}
	return out
}
