package netdef

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Document is a network as `docker network inspect` shows it.
type Document struct {
	Name       string                       `json:"Name"`
	ID         string                       `json:"Id"`
	Created    string                       `json:"Created"`
	Scope      string                       `json:"Scope"`
	Driver     string                       `json:"Driver"`
	EnableIPv6 bool                         `json:"EnableIPv6"`
	IPAM       IPAMDocument                 `json:"IPAM"`
	Internal   bool                         `json:"Internal"`
	Attachable bool                         `json:"Attachable"`
	Ingress    bool                         `json:"Ingress"`
	ConfigFrom struct{ Network string }     `json:"ConfigFrom"`
	ConfigOnly bool                         `json:"ConfigOnly"`
	Containers map[string]ContainerDocument `json:"Containers"`
	Options    map[string]string            `json:"Options"`
	Labels     map[string]string            `json:"Labels"`
}

// IPAMDocument is inspect's IPAM: how addresses are handed out.
type IPAMDocument struct {
	Driver  string            `json:"Driver"`
	Options map[string]string `json:"Options"`
	Config  []IPAMConfig      `json:"Config"`
}

// IPAMConfig is one subnet in inspect.
type IPAMConfig struct {
	Subnet  string `json:"Subnet"`
	IPRange string `json:"IPRange,omitempty"`
	Gateway string `json:"Gateway"`
}

// ContainerDocument is one container on the network, in inspect.
type ContainerDocument struct {
	Name        string `json:"Name"`
	EndpointID  string `json:"EndpointID"`
	MacAddress  string `json:"MacAddress"`
	IPv4Address string `json:"IPv4Address"`
	IPv6Address string `json:"IPv6Address"`
}

// Inspect is n's document, with the containers of endpoints that are on
// it.
func (n Network) Inspect(endpoints []Endpoint) Document {
	d := Document{
		Name: n.Name, ID: n.ID, Created: n.Created.Format(time.RFC3339Nano), Scope: "local", Driver: n.Driver,
		EnableIPv6: n.IPv6, Internal: n.Internal,
		IPAM:       IPAMDocument{Driver: "default", Options: map[string]string{}, Config: []IPAMConfig{}},
		Containers: map[string]ContainerDocument{},
		Options:    orEmpty(n.Options),
		Labels:     orEmpty(n.Labels),
	}
	for _, s := range n.Subnets {
		c := IPAMConfig{Subnet: s.Subnet.String(), Gateway: s.Gateway.String()}
		if s.IPRange.IsValid() {
			c.IPRange = s.IPRange.String()
		}
		d.IPAM.Config = append(d.IPAM.Config, c)
	}
	for _, e := range n.Endpoints(endpoints) {
		d.Containers[e.ContainerID] = ContainerDocument{
			Name: e.ContainerName, EndpointID: e.EndpointID, MacAddress: e.MacAddress,
			IPv4Address: e.IPv4Address, IPv6Address: e.IPv6Address,
		}
	}
	return d
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}

// Row is a network as `network ls` shows it: the fields of its --format
// templates.
type Row struct {
	N       Network
	NoTrunc bool
}

// Header is the table's header row, for each field of Row.
var Header = map[string]string{
	"ID": "NETWORK ID", "Name": "NAME", "Driver": "DRIVER", "Scope": "SCOPE",
	"IPv6": "IPV6", "Internal": "INTERNAL", "Labels": "LABELS", "CreatedAt": "CREATED AT",
}

// DefaultTable is `network ls`'s format when --format is not given.
const DefaultTable = "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}"

func (r Row) ID() string {
	if r.NoTrunc {
		return r.N.ID
	}
	return r.N.ShortID()
}
func (r Row) Name() string     { return r.N.Name }
func (r Row) Driver() string   { return r.N.Driver }
func (r Row) Scope() string    { return "local" }
func (r Row) IPv6() string     { return strconv.FormatBool(r.N.IPv6) }
func (r Row) Internal() string { return strconv.FormatBool(r.N.Internal) }

// CreatedAt is written as Docker's CLI writes it.
func (r Row) CreatedAt() string { return r.N.Created.Format("2006-01-02 15:04:05.999999999 -0700 MST") }

// Labels are KEY=VALUE, by key, separated by commas.
func (r Row) Labels() string {
	var kv []string
	for _, k := range slices.Sorted(maps.Keys(r.N.Labels)) {
		kv = append(kv, k+"="+r.N.Labels[k])
	}
	return strings.Join(kv, ",")
}

// Label is one label's value: {{.Label "KEY"}}.
func (r Row) Label(name string) string { return r.N.Labels[name] }

// MarshalJSON is the row of `network ls --format json`, with Docker's
// keys and values.
func (r Row) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"ID": r.ID(), "Name": r.Name(), "Driver": r.Driver(), "Scope": r.Scope(),
		"IPv6": r.IPv6(), "Internal": r.Internal(), "Labels": r.Labels(), "CreatedAt": r.CreatedAt(),
	})
}

// Filters are `network ls --filter`'s: values of one key are
// alternatives, every key must match.
type Filters map[string][]string

// filterKeys are the keys `network ls --filter` takes.
var filterKeys = []string{"dangling", "driver", "id", "label", "name", "scope", "type"}

// ParseFilters parses KEY=VALUE filters of `network ls`.
func ParseFilters(args []string) (Filters, error) {
	f := Filters{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return nil, fmt.Errorf("--filter %q: want KEY=VALUE, KEY one of %s", a, strings.Join(filterKeys, ", "))
		}
		if !slices.Contains(filterKeys, k) {
			return nil, fmt.Errorf("--filter %q: invalid filter '%s': the keys are %s", a, k, strings.Join(filterKeys, ", "))
		}
		if k == "dangling" {
			if _, err := parseDangling(v); err != nil {
				return nil, fmt.Errorf("--filter %q: %w", a, err)
			}
		}
		if k == "type" && v != "custom" && v != "builtin" {
			return nil, fmt.Errorf("--filter %q: invalid filter: 'type'='%s': the types are custom and builtin", a, v)
		}
		f[k] = append(f[k], v)
	}
	return f, nil
}

// Match reports whether n passes the filters.
func (f Filters) Match(n Network) bool {
	for k, values := range f {
		if !slices.ContainsFunc(values, func(v string) bool { return matchOne(k, v, n) }) {
			return false
		}
	}
	return true
}

func matchOne(key, value string, n Network) bool {
	switch key {
	case "driver":
		return n.Driver == value
	case "id":
		return strings.HasPrefix(n.ID, value) || matchPattern(value, n.ID)
	case "name":
		return matchPattern(value, n.Name)
	case "label":
		return hasLabel(n.Labels, value)
	case "scope":
		return value == "local"
	case "type":
		return (value == "builtin") == n.Builtin()
	case "dangling":
		return true // KeepDangling, which knows the containers
	}
	return false
}

// matchPattern is Docker's name and id match: equal, or the value as a
// regular expression found in s.
func matchPattern(value, s string) bool {
	if value == s {
		return true
	}
	re, err := regexp.Compile(value)
	return err == nil && re.MatchString(s)
}

// hasLabel matches KEY or KEY=VALUE.
func hasLabel(labels map[string]string, filter string) bool {
	k, v, withValue := strings.Cut(filter, "=")
	got, ok := labels[k]
	return ok && (!withValue || got == v)
}

// Keep returns the networks of list that pass the filters.
func (f Filters) Keep(list []Network) []Network {
	var kept []Network
	for _, n := range list {
		if f.Match(n) {
			kept = append(kept, n)
		}
	}
	return kept
}

// ParseKeyValues parses repeated KEY=VALUE flag values (--label, -o);
// with keyOnly a bare KEY has the value "".
func ParseKeyValues(flag string, args []string, keyOnly bool) (map[string]string, error) {
	m := map[string]string{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if k == "" || !ok && !keyOnly {
			return nil, fmt.Errorf("%s %q: want KEY=VALUE", flag, a)
		}
		m[k] = v
	}
	return m, nil
}
