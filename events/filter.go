package events

import (
	"fmt"
	"strings"
)

// filterKeys are the --filter keys of `docker events` urun's events have.
var filterKeys = map[string]bool{
	"container": true, "event": true, "image": true, "label": true,
	"network": true, "type": true, "volume": true, "scope": true,
}

// Filters are `urun events --filter` values by key: the values of one key
// are alternatives, every key must match (as Docker).
type Filters map[string][]string

// ParseFilters parses --filter KEY=VALUE arguments.
func ParseFilters(args []string) (Filters, error) {
	f := Filters{}
	for _, a := range args {
		key, value, ok := strings.Cut(a, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !ok || key == "" {
			return nil, fmt.Errorf("bad format of filter (expected name=value): %q", a)
		}
		if !filterKeys[key] {
			return nil, fmt.Errorf("invalid filter '%s'", key)
		}
		f[key] = append(f[key], value)
	}
	return f, nil
}

// Match reports whether m passes every filter.
func (f Filters) Match(m Message) bool {
	imageName := m.Actor.Attributes["image"]
	if m.Type == Image {
		imageName = m.Name()
	}
	return f.any("type", func(v string) bool { return v == m.Type }) &&
		f.any("scope", func(v string) bool { return v == m.Scope }) &&
		f.any("event", func(v string) bool { return v == m.Action || v == m.BaseAction() }) &&
		f.any("container", func(v string) bool { return m.Type == Container && idOrName(v, m) }) &&
		f.any("network", func(v string) bool { return m.Type == Network && idOrName(v, m) }) &&
		f.any("volume", func(v string) bool { return m.Type == Volume && idOrName(v, m) }) &&
		f.any("image", func(v string) bool {
			return v == m.Actor.ID && m.Type == Image || v == imageName || v == stripTag(imageName) || v == stripTag(m.Actor.ID) && m.Type == Image
		}) &&
		f.any("label", func(v string) bool {
			key, value, hasValue := strings.Cut(v, "=")
			got, ok := m.Actor.Attributes[key]
			return ok && (!hasValue || got == value)
		})
}

// any reports whether one of key's values matches, or key has none.
func (f Filters) any(key string, match func(string) bool) bool {
	values := f[key]
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		if match(v) {
			return true
		}
	}
	return false
}

// idOrName: value is the actor's name, or its id or an id prefix.
func idOrName(value string, m Message) bool {
	return value != "" && (value == m.Name() || strings.HasPrefix(m.Actor.ID, value))
}

// stripTag is an image reference without its tag (or digest).
func stripTag(ref string) string {
	if i := strings.IndexByte(ref, '@'); i >= 0 {
		return ref[:i]
	}
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[:i]
	}
	return ref
}
