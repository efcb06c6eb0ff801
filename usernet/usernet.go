// Package usernet runs urun's user-defined networks without a daemon.
//
// # The process model
//
// One holder per user (package usernet/holder, a stage of urun-image)
// owns a user namespace mapped as urun's containers are and, inside it, a
// network namespace with a bridge for each network in use, the address
// plan, the firewall that keeps networks apart, and the name servers.
// slirp4netns, started beside it, is the uplink to the host's network.
//
// A container on a network makes its user namespace inside the holder's
// (stage.Create.Nest): the kernel moves a veth into a network namespace
// only from the namespace's own user namespace or an outer one. Its
// waiter keeps a descriptor of the holder's network namespace
// (stage.Create.Keep), so the bridges and the traffic between running
// containers outlive the holder.
//
// The first command that needs a network starts the holder (Connect);
// the holder ends once no container is attached and no command is
// connected, under the lock that Connect takes to find or start it. If
// the holder is killed, the next Connect starts a new one inside the same
// namespaces, reached through a running container's waiter, which takes
// the attachments back from the state file (State).
package usernet

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"

	"github.com/urun/urun/config"
)

// Files in Dir.
const (
	socketName = "holder.sock"
	pidName    = "holder.pid"
	stateName  = "state.json"
	lockName   = "lock"
	uplinkLog  = "slirp4netns.log"
	holderLog  = "holder.log"
)

// Dir is where the holder keeps its socket and state: run state, gone at
// reboot with the holder it describes.
func Dir(cfg *config.Config) string {
	return filepath.Join(cfg.RunRoot, "urun-networks")
}

// NetworkSpec is what the holder needs of a network's definition (package
// netdef keeps the definitions).
type NetworkSpec struct {
	Name    string       `json:"name"`
	ID      string       `json:"id"`
	Bridge  string       `json:"bridge"`
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	IPRange netip.Prefix `json:"ip_range,omitzero"`
	// Subnet6 and Gateway6 are the IPv6 subnet of a network made with
	// --ipv6; zero without.
	Subnet6  netip.Prefix `json:"subnet6,omitzero"`
	Gateway6 netip.Addr   `json:"gateway6,omitzero"`
	Internal bool         `json:"internal,omitempty"`
	MTU      int          `json:"mtu,omitempty"`
	// Names says whether containers on it resolve each other's names:
	// every network but the default "bridge", as in Docker.
	Names bool `json:"names,omitempty"`
}

// Endpoint is a container's interface on a network, as the holder made it.
type Endpoint struct {
	Network       string     `json:"network"`
	NetworkID     string     `json:"network_id"`
	EndpointID    string     `json:"endpoint_id"`
	ContainerID   string     `json:"container_id"`
	ContainerName string     `json:"container_name"`
	Aliases       []string   `json:"aliases,omitempty"`
	Interface     string     `json:"interface"`
	HostVeth      string     `json:"host_veth"`
	IP            netip.Addr `json:"ip"`
	PrefixLen     int        `json:"prefix_len"`
	Gateway       netip.Addr `json:"gateway"`
	MAC           string     `json:"mac"`
	// IP6 is its IPv6 address on a network with IPv6, with PrefixLen6
	// and Gateway6.
	IP6        netip.Addr `json:"ip6,omitzero"`
	PrefixLen6 int        `json:"prefix_len6,omitempty"`
	Gateway6   netip.Addr `json:"gateway6,omitzero"`
	// WaiterPID is the waiter of the container's run that made it, in its
	// user and network namespaces for as long as it lives.
	WaiterPID int `json:"waiter_pid"`
}

// Container is what the holder knows of an attached container besides its
// endpoints.
type Container struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Links are --link's ALIAS → container name, resolved for this
	// container alone.
	Links map[string]string `json:"links,omitempty"`
	// Names: the container asks the holder's name server (it is on a
	// network with names).
	Names bool `json:"names,omitempty"`
	// Upstreams are the name servers (--dns, as ADDRESS:53) that the
	// holder asks what it does not know for this container; none: the
	// host's, through slirp4netns.
	Upstreams []string `json:"upstreams,omitempty"`
	// WaiterPID is its run's waiter (see Endpoint), KeepFD the waiter's
	// descriptor of the holder's network namespace: a container left on
	// no network stays known, to be connected again.
	WaiterPID int `json:"waiter_pid,omitempty"`
	KeepFD    int `json:"keep_fd,omitempty"`
}

// State is the holder's record, rewritten whole on each change.
type State struct {
	HolderPID int `json:"holder_pid"`
	// UserNS is the inode of the holder's user namespace, the parent of
	// each attached container's.
	UserNS     uint64                 `json:"userns"`
	Networks   map[string]NetworkSpec `json:"networks,omitempty"`
	Containers map[string]Container   `json:"containers,omitempty"`
	Endpoints  []Endpoint             `json:"endpoints,omitempty"`
}

// ReadState reads the holder's record in dir; a missing one is empty.
func ReadState(dir string) (State, error) {
	var st State
	data, err := os.ReadFile(filepath.Join(dir, stateName))
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read the networks' state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return State{}, fmt.Errorf("read the networks' state %s: %w", filepath.Join(dir, stateName), err)
	}
	return st, nil
}

// StatePath is the holder's record in dir.
func StatePath(dir string) string { return filepath.Join(dir, stateName) }

// PIDPath is the holder's pid file in dir: there while a holder runs, or
// was killed; a few bytes that every urun command reads (see
// client.Repair), where the state may be large.
func PIDPath(dir string) string { return filepath.Join(dir, pidName) }

// SocketPath is the holder's socket in dir.
func SocketPath(dir string) string { return filepath.Join(dir, socketName) }

// LogPath is where the holder writes what went wrong.
func LogPath(dir string) string { return filepath.Join(dir, holderLog) }

// LockPath is the networks' lock: the holder is found or started, and
// ends, under it.
func LockPath(dir string) string { return filepath.Join(dir, lockName) }

// UplinkLogPath is slirp4netns's log.
func UplinkLogPath(dir string) string { return filepath.Join(dir, uplinkLog) }

// Endpoints are the endpoints of running containers.
func Endpoints(cfg *config.Config) ([]Endpoint, error) {
	st, err := ReadState(Dir(cfg))
	if err != nil {
		return nil, err
	}
	var live []Endpoint
	for _, e := range st.Endpoints {
		if WaiterAlive(e.WaiterPID, st.UserNS) {
			live = append(live, e)
		}
	}
	return live, nil
}

// WaiterAlive reports whether pid is still a waiter of a container nested
// in the holder's user namespace userns (pids are reused).
func WaiterAlive(pid int, userns uint64) bool {
	if pid <= 0 {
		return false
	}
	parent, err := ParentUserNS(pid)
	if err != nil {
		return false
	}
	defer parent.Close()
	ino, err := inode(parent)
	return err == nil && ino == userns
}

// ProcPath is /proc/PID/REST.
func ProcPath(pid int, rest string) string {
	return "/proc/" + strconv.Itoa(pid) + "/" + rest
}
