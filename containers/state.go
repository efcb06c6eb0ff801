// Package containers runs on the host side. It owns each container's
// record: its State (state.go), the Settings it was created with and is
// started again with (settings.go), its restart policy (restart.go), stop
// signal and timeout, and where all of it lives, its log included
// (paths.go); every other package reads and writes the record through its
// functions. It also lists containers, finds them by name or id prefix,
// and removes them with their writable layers.
package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/nospace"
	"github.com/urun/urun/spec"
)

// The values of State.Status.
const (
	// StatusCreated: made by `urun create`, never started.
	StatusCreated = "created"
	// StatusRunning: a urun (`urun run`'s own process, or a detached
	// container's monitor) was started for it; while that urun holds the
	// run state's lock the container runs, and once nothing holds it the
	// urun was killed before it could record the end.
	StatusRunning = "running"
	// StatusRestarting: the monitor waits to start it again (--restart).
	StatusRestarting = "restarting"
	// StatusExited: its urun recorded the end.
	StatusExited = "exited"
)

// State is a container's record in its run state directory.
type State struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Image   string    `json:"image"`
	ImageID string    `json:"image_id"`
	Command []string  `json:"command,omitempty"`
	Created time.Time `json:"created"`
	// Status is one of the Status constants: what its urun last wrote.
	Status   string `json:"status"`
	ExitCode int    `json:"exit_code"`
	// Cgroup is the cgroup v2 path of its own cgroup while it runs, if it
	// has one ("/user.slice/.../urun-ID.scope/container").
	Cgroup string `json:"cgroup,omitempty"`
	// Paused: `urun pause` froze that cgroup; `unpause`, `stop`, `kill`
	// and the next start clear it.
	Paused bool `json:"paused,omitempty"`
	// OOMKilled: its memory limit killed a process in its last run.
	OOMKilled  bool      `json:"oom_killed,omitempty"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Error is why the last start failed, if it did.
	Error string `json:"error,omitempty"`
	// Remove marks a --rm container, whose leftovers may be deleted by any
	// later urun once its monitor is gone.
	Remove bool `json:"remove"`
	// Detached: a monitor process of its own runs it (run -d, start).
	Detached bool `json:"detached,omitempty"`
	// RestartPolicy is the --restart policy's name ("" for no), for
	// `--filter restart-policy=`.
	RestartPolicy string `json:"restart_policy,omitempty"`
	// RestartCount counts the monitor's restarts since the last start.
	RestartCount int `json:"restart_count,omitempty"`
	// StoppedByUser is set by `urun stop`, `rm -f` and `restart`: the
	// restart policy does not bring the container back.
	StoppedByUser bool `json:"stopped_by_user,omitempty"`
	// Ports are the published ports as bound on the host, host ports
	// chosen.
	Ports []Port `json:"ports,omitempty"`
	// Networks are its endpoints on urun's networks as its last start
	// (or network connect) made them; they count while it runs.
	Networks []NetworkEndpoint `json:"networks,omitempty"`
	// GraphRoot is the store the container belongs to. Stores may share a
	// run root (--root without --runroot); each sees only its own.
	GraphRoot string `json:"graph_root,omitempty"`
	// Volumes are the volumes it mounts (and the host directories it
	// gives its user, -v …:U), which its init sets up at each start;
	// `volume rm` refuses a volume that any record names.
	Volumes []spec.VolumeMount `json:"volumes,omitempty"`
	// Labels are the container's: its image's and --label's, for ps's
	// filters and columns and inspect (see LabelSource).
	Labels map[string]string `json:"labels,omitempty"`
}

// belongsTo reports whether the record is of the store at graphRoot.
func (st State) belongsTo(graphRoot string) bool {
	return st.GraphRoot == "" || st.GraphRoot == graphRoot
}

// NetworkEndpoint is a container's interface on one of urun's networks,
// for inspect.
type NetworkEndpoint struct {
	Network     string   `json:"network"`
	NetworkID   string   `json:"network_id"`
	EndpointID  string   `json:"endpoint_id"`
	IPAddress   string   `json:"ip_address"`
	IPPrefixLen int      `json:"ip_prefix_len"`
	Gateway     string   `json:"gateway"`
	MacAddress  string   `json:"mac_address"`
	Aliases     []string `json:"aliases,omitempty"`
	// On a network with IPv6.
	GlobalIPv6Address   string `json:"ipv6_address,omitempty"`
	GlobalIPv6PrefixLen int    `json:"ipv6_prefix_len,omitempty"`
	IPv6Gateway         string `json:"ipv6_gateway,omitempty"`
}

// Port is one published port as bound on the host.
type Port struct {
	HostIP        string `json:"host_ip"`
	HostPort      int    `json:"host_port"`
	ContainerPort int    `json:"container_port"`
	Proto         string `json:"proto"`
}

// String is the port as Docker's PORTS column shows it.
func (p Port) String() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return fmt.Sprintf("%s->%d/%s", net.JoinHostPort(ip, strconv.Itoa(p.HostPort)), p.ContainerPort, p.Proto)
}

// ReadState reads the record in a run state directory.
func ReadState(dir string) (State, error) {
	var st State
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dir, stateFile), err)
	}
	return st, nil
}

// WriteState replaces the record in a run state directory. A kept
// container's record is also copied beside its writable layer, which
// outlives the run root (a reboot clears $XDG_RUNTIME_DIR): List restores
// the run state from that copy.
func WriteState(cfg *config.Config, dir string, st State) error {
	if err := writeRecord(filepath.Join(dir, stateFile), st); err != nil {
		return err
	}
	layer := LayerDir(cfg, st)
	if _, err := os.Stat(layer); st.Remove || err != nil {
		return nil // nothing outlives the run state to restore it from
	}
	return writeRecord(filepath.Join(layer, stateFile), st)
}

// writeRecord replaces a record at once; on a full file system, where a
// new copy has no room, it overwrites the record in place, in the blocks
// it already has. That is not atomic, but it is what lets `urun stop`,
// `rm -f` and a container's end be recorded when the disk is full and
// the user is freeing space.
func writeRecord(path string, st State) error {
	err := atomicfile.WriteJSON(path, st)
	if err == nil || !nospace.Is(err) {
		return err
	}
	data, merr := json.MarshalIndent(st, "", "  ")
	if merr != nil {
		return err
	}
	f, oerr := os.OpenFile(path, os.O_WRONLY|unix.O_CLOEXEC, 0)
	if oerr != nil {
		return err
	}
	defer f.Close()
	if _, werr := f.WriteAt(data, 0); werr != nil {
		return err
	}
	if terr := f.Truncate(int64(len(data))); terr != nil {
		return err
	}
	return nil
}

// Update changes a container's record under its state lock, so that
// urun commands and the container's monitor writing at the same time
// never lose each other's change. change may return an error to write
// nothing.
func Update(cfg *config.Config, dir string, change func(*State) error) (State, error) {
	f, err := os.OpenFile(filepath.Join(dir, stateLockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return State{}, fmt.Errorf("open the container's state lock: %w", err)
	}
	defer f.Close()
	if err := lockwait.Take(f, unix.LOCK_EX, cfg.LockWait(), "the record of container "+filepath.Base(dir)); err != nil {
		return State{}, err
	}
	st, err := ReadState(dir)
	if err != nil {
		return st, err
	}
	if err := change(&st); err != nil {
		return st, err
	}
	return st, WriteState(cfg, dir, st)
}

// lookBound bounds how long Lock waits out other urun commands' looks at
// a container's lock (see Lock): each lasts an instant, so only a host
// too loaded to run them meets it.
const lookBound = 5 * time.Second

// Lock takes an exclusive lock on a container's run state directory
// without waiting for its holder. The container's urun holds it for as
// long as it lives, so a process that gets it knows the container is not
// running, whatever killed its urun; while it is held exclusively, Lock
// fails with unix.EWOULDBLOCK. Other urun commands take it shared for an
// instant to see whether the container runs (ps, rm, wait): Lock waits
// those out, up to lookBound, instead of taking them for the
// container's urun.
func Lock(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || heldExclusively(f) || time.Since(start) > lookBound {
			f.Close()
			return nil, err
		}
		time.Sleep(time.Millisecond)
	}
}

// heldExclusively reports whether some process holds an exclusive lock on
// f, or it cannot be told.
func heldExclusively(f *os.File) bool {
	locks, err := lockwait.Locks(f)
	if err != nil {
		return true
	}
	for _, l := range locks {
		if l.Exclusive {
			return true
		}
	}
	return false
}

// LockWithin takes an exclusive lock on a container's run state directory,
// waiting up to bound for whoever holds it; the error names the holder.
// ref is the container as the user called it.
func LockWithin(dir, ref string, bound time.Duration) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := lockwait.Take(f, unix.LOCK_EX, bound, "container "+ref); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Register gives st a name and writes it into dir, the new container's run
// state directory: the requested one if no other container has it, else
// (st.Name empty) a generated one. The store's names lock makes the check,
// the claim and the write one step for concurrent `urun run`s.
func Register(cfg *config.Config, dir string, st *State) error {
	names, err := lockNames(cfg)
	if err != nil {
		return err
	}
	defer names.unlock()
	st.GraphRoot = cfg.GraphRoot
	if st.Name == "" {
		st.Name = generateName(names.taken)
	} else if names.taken(st.Name) {
		return fmt.Errorf("the container name %q is already in use: remove that container or choose another --name", st.Name)
	}
	if err := names.claim(st.Name, st.ID); err != nil {
		return err
	}
	if err := WriteState(cfg, dir, *st); err != nil {
		names.release(st.Name, st.ID)
		return err
	}
	return nil
}

// ValidName follows Docker's rule for container names.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i > 0 {
			ok = ok || strings.ContainsRune("_.-", r)
		}
		if !ok {
			return false
		}
	}
	return true
}

// validID accepts a full container id: 64 lower-case hex digits. Ids name
// directories that are deleted, so nothing else may pass.
func validID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
