// Package netdef keeps the definitions of urun's networks (Docker's
// user-defined networks and its default "bridge"): one JSON file per
// network under GRAPHROOT/urun-networks, each written whole, created and
// removed under one lock so that two commands never take the same name
// or subnet. What runs a network (its bridge, veths, DNS) is package
// usernet's; this package only says what a network is.
package netdef

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/prunefilter"
)

// Network is one network's definition.
type Network struct {
	Name    string    `json:"name"`
	ID      string    `json:"id"` // 64 hex digits, random
	Created time.Time `json:"created"`
	Driver  string    `json:"driver"` // "bridge" only
	// Subnets holds one IPv4 subnet and, with IPv6, a second, IPv6 one.
	Subnets  []Subnet `json:"subnets"`
	Internal bool     `json:"internal,omitempty"`
	IPv6     bool     `json:"ipv6,omitempty"`
	// MTU is the links' MTU (-o mtu=N); 0 is DefaultMTU.
	MTU    int               `json:"mtu,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
	// Options are the -o options as given, for inspect.
	Options map[string]string `json:"options,omitempty"`
}

// Endpoint is a container attached to a network, as package usernet
// reports it: what inspect shows and what makes a network in use.
type Endpoint struct {
	Network       string // the network's name or id
	ContainerID   string
	ContainerName string
	EndpointID    string
	MacAddress    string
	// IPv4Address and IPv6Address are ADDRESS/PREFIXLEN, as Docker's
	// inspect shows them.
	IPv4Address string
	IPv6Address string
}

// The built-in default network, Docker's docker0.
const (
	DefaultName = "bridge"
	// DefaultBridge is the default network's bridge device.
	DefaultBridge = "urun0"
	// DefaultMTU is a network's MTU when -o mtu= was not given:
	// slirp4netns's 65520, not Docker's 1500. No physical link lies under
	// a network's veths, and the larger frames carry half again as much
	// between containers (22.7 against 15-18 Gbit/s measured here).
	DefaultMTU = 65520
)

var defaultSubnet = Subnet{
	Subnet:  netip.MustParsePrefix("172.17.0.0/16"),
	Gateway: netip.MustParseAddr("172.17.0.1"),
}

// ErrNotFound is what Get's error for an unknown network wraps.
var ErrNotFound = errors.New("network not found")

// NotFoundError names the network that does not exist, in Docker's words.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string { return fmt.Sprintf("network %s not found", e.Name) }

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// Dir is where the definitions are kept.
func Dir(cfg *config.Config) string { return filepath.Join(cfg.GraphRoot, "urun-networks") }

// lockName is the lock's file in Dir: no network's file starts with a dot.
const lockName = ".lock"

func fileOf(dir, name string) string { return filepath.Join(dir, name+".json") }

// Builtin reports whether n is the default network, which always exists.
func (n Network) Builtin() bool { return n.Name == DefaultName }

// BridgeName is the network's bridge device: at most 15 bytes, the
// kernel's limit for an interface name.
func (n Network) BridgeName() string {
	if n.Builtin() {
		return DefaultBridge
	}
	return "br-" + n.ID[:12]
}

// ShortID is the 12 digits `network ls` shows.
func (n Network) ShortID() string { return n.ID[:min(12, len(n.ID))] }

// LinkMTU is the MTU of the network's links.
func (n Network) LinkMTU() int {
	if n.MTU == 0 {
		return DefaultMTU
	}
	return n.MTU
}

// IPv4 is the network's IPv4 subnet.
func (n Network) IPv4() (Subnet, bool) { return n.subnetOf(true) }

// IPv6Subnet is the network's IPv6 subnet, which only networks created
// with --ipv6 have.
func (n Network) IPv6Subnet() (Subnet, bool) { return n.subnetOf(false) }

func (n Network) subnetOf(v4 bool) (Subnet, bool) {
	for _, s := range n.Subnets {
		if s.Subnet.Addr().Is4() == v4 {
			return s, true
		}
	}
	return Subnet{}, false
}

// Get returns the network nameOrID names: its name, full id, or a
// prefix of one id only.
func Get(cfg *config.Config, nameOrID string) (Network, error) {
	list, err := List(cfg)
	if err != nil {
		return Network{}, err
	}
	return Find(list, nameOrID)
}

// Find is the network of list that ref names, as Get.
func Find(list []Network, ref string) (Network, error) {
	for _, n := range list {
		if n.Name == ref || n.ID == ref {
			return n, nil
		}
	}
	var matches []Network
	if ref != "" && isHex(ref) {
		for _, n := range list {
			if strings.HasPrefix(n.ID, ref) {
				matches = append(matches, n)
			}
		}
	}
	switch len(matches) {
	case 0:
		return Network{}, &NotFoundError{Name: ref}
	case 1:
		return matches[0], nil
	}
	names := make([]string, len(matches))
	for i, n := range matches {
		names[i] = n.Name
	}
	return Network{}, fmt.Errorf("network %s is ambiguous: the ids of %d networks (%s) start with it: give more of the id, or the name", ref, len(matches), strings.Join(names, ", "))
}

func isHex(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

// List returns every network, the default one included, by name.
func List(cfg *config.Config) ([]Network, error) {
	list, err := readAll(Dir(cfg))
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(list, Network.Builtin) {
		// First use: the default network gets its file (a stable id
		// and creation time), under the lock so that only one is made.
		s, err := lock(cfg, unix.LOCK_EX)
		if err != nil {
			return nil, err
		}
		defer s.unlock()
		if list, err = s.networks(); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// readAll reads every definition in dir, sorted by name.
func readAll(dir string) ([]Network, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("list the networks: %w", err)
	}
	var list []Network
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || strings.HasPrefix(name, ".") {
			continue
		}
		n, err := readFile(filepath.Join(dir, e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			continue // removed since the listing
		}
		if err != nil {
			return nil, err
		}
		list = append(list, n)
	}
	slices.SortFunc(list, func(a, b Network) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

func readFile(path string) (Network, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Network{}, fmt.Errorf("read network definition: %w", err)
	}
	var n Network
	if err := json.Unmarshal(data, &n); err != nil {
		return Network{}, fmt.Errorf("read network definition %s: %w (remove the file to drop that network)", path, err)
	}
	if len(n.ID) != 64 || !isHex(n.ID) || n.Name+".json" != filepath.Base(path) {
		return Network{}, fmt.Errorf("read network definition %s: its name or id is not valid (remove the file to drop that network)", path)
	}
	return n, nil
}

// store is the definitions' directory, locked.
type store struct {
	dir  string
	lock *os.File
	// cfg is where events are recorded.
	cfg *config.Config
}

// lock takes the definitions' lock (how is unix.LOCK_EX or LOCK_SH):
// creating and removing hold it exclusively, Use shared.
func lock(cfg *config.Config, how int) (*store, error) {
	dir := Dir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the networks' directory: %w", err)
	}
	path := filepath.Join(dir, lockName)
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the networks' lock: %w", err)
	}
	if err := lockwait.Take(f, how, cfg.LockWait(), "the networks' definitions "+dir); err != nil {
		f.Close()
		return nil, err
	}
	if how == unix.LOCK_EX {
		sweepHalfWritten(dir)
	}
	return &store{dir: dir, lock: f, cfg: cfg}, nil
}

// sweepHalfWritten removes what a writer killed mid-write left (atomic
// files' ".tmp-" copies): every writer holds the lock exclusively, so
// under it no such file is anybody's.
func sweepHalfWritten(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func (s *store) unlock() { s.lock.Close() }

// networks lists the definitions, writing the default network's first
// if it has none yet.
func (s *store) networks() ([]Network, error) {
	list, err := readAll(s.dir)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(list, Network.Builtin) {
		return list, nil
	}
	def := Network{
		Name: DefaultName, ID: newID(), Created: time.Now(), Driver: "bridge",
		Subnets: []Subnet{defaultSubnet},
		Options: map[string]string{
			"com.docker.network.bridge.default_bridge": "true",
			"com.docker.network.bridge.name":           DefaultBridge,
		},
	}
	if err := s.write(def); err != nil {
		return nil, err
	}
	list = append(list, def)
	slices.SortFunc(list, func(a, b Network) int { return strings.Compare(a.Name, b.Name) })
	return list, nil
}

func (s *store) write(n Network) error {
	if err := atomicfile.WriteJSON(fileOf(s.dir, n.Name), n); err != nil {
		return fmt.Errorf("write network %s: %w", n.Name, err)
	}
	return nil
}

func newID() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand's promise since Go 1.24)
	return hex.EncodeToString(b)
}

// Remove removes the network nameOrID names unless containers are on
// it: endpoints are those of running containers (usernet.Endpoints).
func Remove(cfg *config.Config, nameOrID string, endpoints []Endpoint) error {
	return RemoveUnused(cfg, nameOrID, func() ([]Endpoint, error) { return endpoints, nil })
}

// EndpointsFunc lists running containers' endpoints. RemoveUnused and
// PruneUnused call it holding the definitions' lock, so that no container
// joins a network (under Use's lock) between the check and the removal:
// it must not take that lock itself.
type EndpointsFunc func() ([]Endpoint, error)

// RemoveUnused is Remove with the endpoints listed under the lock.
func RemoveUnused(cfg *config.Config, nameOrID string, endpoints EndpointsFunc) error {
	s, err := lock(cfg, unix.LOCK_EX)
	if err != nil {
		return err
	}
	defer s.unlock()
	list, err := s.networks()
	if err != nil {
		return err
	}
	n, err := Find(list, nameOrID)
	if err != nil {
		return err
	}
	if n.Builtin() {
		return fmt.Errorf("%s is a pre-defined network and cannot be removed", n.Name)
	}
	all, err := endpoints()
	if err != nil {
		return fmt.Errorf("remove network %s: list the containers on it: %w", n.Name, err)
	}
	if on := n.Endpoints(all); len(on) > 0 {
		var names []string
		for _, e := range on {
			names = append(names, fmt.Sprintf("name:%q id:%q", e.ContainerName, e.ContainerID[:min(12, len(e.ContainerID))]))
		}
		return fmt.Errorf("error while removing network: network %s has active endpoints (%s): stop those containers or disconnect them (urun network disconnect %s %s) first",
			n.Name, strings.Join(names, ", "), n.Name, on[0].ContainerName)
	}
	return s.remove(n)
}

// Use returns the network nameOrID names and holds the definitions' lock,
// shared, until release: a container joining the network holds it until
// its endpoint shows in EndpointsFunc's list, so that rm and prune, which
// take it exclusively, never remove a network a container is joining.
func Use(cfg *config.Config, nameOrID string) (n Network, release func(), err error) {
	s, err := lock(cfg, unix.LOCK_SH)
	if err != nil {
		return Network{}, nil, err
	}
	list, err := readAll(s.dir)
	if err == nil && !slices.ContainsFunc(list, Network.Builtin) {
		// First use: List writes the default network's file, under the
		// lock exclusively.
		s.unlock()
		if _, err = List(cfg); err != nil {
			return Network{}, nil, err
		}
		if s, err = lock(cfg, unix.LOCK_SH); err != nil {
			return Network{}, nil, err
		}
		list, err = readAll(s.dir)
	}
	if err == nil {
		n, err = Find(list, nameOrID)
	}
	if err != nil {
		s.unlock()
		return Network{}, nil, err
	}
	return n, s.unlock, nil
}

func (s *store) remove(n Network) error {
	if err := os.Remove(fileOf(s.dir, n.Name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network %s: %w", n.Name, err)
	}
	Emit(s.cfg, n, "destroy")
	return nil
}

// Endpoints are those of endpoints on n.
func (n Network) Endpoints(endpoints []Endpoint) []Endpoint {
	var on []Endpoint
	for _, e := range endpoints {
		if e.Network == n.Name || e.Network == n.ID {
			on = append(on, e)
		}
	}
	return on
}

// Prune removes the networks, other than the default one, that no
// container is on and that filters keep; it returns their names. What it
// removed before an error is returned with the error.
func Prune(cfg *config.Config, filters prunefilter.Filters, endpoints []Endpoint) ([]string, error) {
	return PruneUnused(cfg, filters, func() ([]Endpoint, error) { return endpoints, nil })
}

// PruneUnused is Prune with the endpoints listed under the lock.
func PruneUnused(cfg *config.Config, filters prunefilter.Filters, endpoints EndpointsFunc) ([]string, error) {
	s, err := lock(cfg, unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer s.unlock()
	list, err := s.networks()
	if err != nil {
		return nil, err
	}
	all, err := endpoints()
	if err != nil {
		return nil, fmt.Errorf("prune networks: list the containers on them: %w", err)
	}
	var removed []string
	for _, n := range list {
		if n.Builtin() || len(n.Endpoints(all)) > 0 || !filters.Match(n.Labels, n.Created) {
			continue
		}
		if err := s.remove(n); err != nil {
			return removed, err
		}
		removed = append(removed, n.Name)
	}
	return removed, nil
}
