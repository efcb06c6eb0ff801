package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// The managers' names, as --cgroup-manager takes them.
const (
	ManagerSystemd  = "systemd"
	ManagerCgroupfs = "cgroupfs"
	ManagerNone     = "none"
)

// Manager gives a container a cgroup of its own.
type Manager interface {
	// Place moves pid, which has not started the container's command
	// yet, into a new cgroup for container id with the limit files. On
	// failure, a Cgroup returned is to be closed once pid is ended.
	Place(id string, pid int, files map[string]string) (*Cgroup, error)
}

// Preparer is a Manager that makes the cgroup before the container's
// first process, which then starts in it (the directory returned, for
// SysProcAttr.CgroupFD).
type Preparer interface {
	Prepare(id string, files map[string]string) (*Cgroup, *os.File, error)
}

// Cgroup is a container's own cgroup.
type Cgroup struct {
	// Dir is its directory under Root.
	Dir string
	// Unit is the systemd scope it is in, "" for cgroupfs.
	Unit string
	// Bus is the user bus the scope was made on.
	Bus string

	watch *oomWatch
	// v1Dirs are the container's directories in the cgroup v1
	// hierarchies (root on a v1 or hybrid host; see v1.go), nil on v2.
	v1Dirs []string
	// oomKills is the count NoteOOMKills read.
	oomKills uint64
}

// NoteOOMKills reads the OOM count while the cgroup surely exists: after
// the container's init ended, while its monitor still holds it. Nil-safe.
func (c *Cgroup) NoteOOMKills() {
	if c == nil || c.watch == nil {
		return
	}
	if n, err := OOMKills(c.Dir); err == nil {
		c.oomKills = max(c.oomKills, n)
	}
}

// Path is the cgroup's path in the hierarchy ("/user.slice/...").
func (c *Cgroup) Path() string {
	rel, _ := filepath.Rel(Root, c.Dir)
	return "/" + rel
}

// Host is what decides the manager: the cgroup mode, urun's own cgroup and
// whether it may write there, the user's systemd manager.
type Host struct {
	Mode Mode
	// OwnDir is urun's own cgroup directory (Unified only).
	OwnDir string
	// Delegated: urun may make child cgroups in OwnDir and move processes
	// between them (a unit with Delegate=yes, a Slurm job...).
	Delegated bool
	// Writable: urun may write OwnDir, delegated or not; enough for an
	// explicit --cgroup-manager cgroupfs (a systemd too old to mark
	// delegated units).
	Writable bool
	// Bus is the user's D-Bus address, "" when none is reachable; for
	// root (RootWritable), the system manager's socket.
	Bus string
	// SlurmJob is the id of the Slurm job whose cgroup (Slurm's
	// cgroup/v2) urun runs in, "" outside one.
	SlurmJob string
	// AsRoot: urun runs as root (euid 0), on any mode.
	AsRoot bool
	// RootWritable: urun may make cgroups right below the root of the
	// hierarchy (Unified only): root, with /sys/fs/cgroup mounted
	// read-write, not root of a user namespace.
	RootWritable bool
}

// rootManaged: urun makes containers' cgroups itself below the root of
// the hierarchy, in RootParent, as Docker's and podman's cgroupfs drivers
// do for root; a cgroup delegated to urun (a unit with Delegate=yes, a
// Slurm job) still comes first, so that its containers stay in it, unless
// that is the root itself (a cgroup namespace's, in a container), and so
// does a Slurm job's cgroup, which its containers must not leave.
func (h Host) rootManaged() bool {
	return h.writesAll() && !(h.Delegated && h.OwnDir != Root) && h.SlurmJob == ""
}

// writesAll: urun may make and write cgroups anywhere in the hierarchy.
func (h Host) writesAll() bool {
	return h.Mode == Unified && h.AsRoot && h.RootWritable
}

// DetectHost looks at the host. It costs a few system calls, no D-Bus.
func DetectHost() (Host, error) {
	mode, err := DetectMode()
	if err != nil || mode != Unified {
		return Host{Mode: mode, AsRoot: os.Geteuid() == 0}, err
	}
	h := Host{Mode: mode, Bus: userBus(), AsRoot: os.Geteuid() == 0}
	h.RootWritable = h.AsRoot && writable(Root)
	if h.RootWritable {
		// Root's containers' scopes come from the system's manager.
		h.Bus = systemBus()
	}
	own, err := OwnCgroup()
	if err != nil {
		return h, err
	}
	h.OwnDir = filepath.Join(Root, own)
	// A urun started from a process an earlier urun moved to the leaf
	// makes its containers beside that urun's, not ever deeper.
	if filepath.Base(h.OwnDir) == leafName && writable(filepath.Dir(h.OwnDir)) {
		h.OwnDir = filepath.Dir(h.OwnDir)
	}
	h.Writable = writable(h.OwnDir)
	h.Delegated = h.Writable && delegated(h.OwnDir)
	h.SlurmJob = slurmJob(own)
	return h, nil
}

// slurmJob is the job id in a cgroup path of Slurm's (cgroup/v2:
// .../slurmstepd.scope/job_ID/step_STEP/user/task_N), or "".
func slurmJob(path string) string {
	if !strings.Contains(path, "slurm") {
		return ""
	}
	for _, part := range strings.Split(path, "/") {
		if id, ok := strings.CutPrefix(part, "job_"); ok && id != "" && strings.Trim(id, "0123456789") == "" {
			return id
		}
	}
	return ""
}

// delegated: dir is a cgroup given to urun's user to manage, which urun
// may make children in and take processes out of. Under the user's
// systemd manager every cgroup is the user's, yet only units with
// Delegate=yes are the user's to divide: systemd marks those with the
// xattr user.delegate (trusted.delegate for the system manager), and a
// unit without it is systemd's own. Other cgroups (a Slurm job, a
// container's root) count when they are writable.
func delegated(dir string) bool {
	if !writable(dir) {
		return false
	}
	if !systemdUnit(filepath.Base(dir)) {
		return true
	}
	buf := make([]byte, 8)
	for _, attr := range []string{"user.delegate", "trusted.delegate"} {
		if n, err := unix.Getxattr(dir, attr, buf); err == nil && string(buf[:n]) == "1" {
			return true
		}
	}
	return false
}

// writable: urun may make children in dir and take processes out of it.
func writable(dir string) bool {
	for _, p := range []string{dir, filepath.Join(dir, "cgroup.procs"), filepath.Join(dir, "cgroup.subtree_control")} {
		if unix.Access(p, unix.W_OK) != nil {
			return false
		}
	}
	return true
}

// systemdUnit: a cgroup of that name is a systemd unit's.
func systemdUnit(name string) bool {
	for _, suffix := range []string{".service", ".scope", ".slice"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// userBus is the address of the user's session bus, where the user's
// systemd manager listens: DBUS_SESSION_BUS_ADDRESS, else the socket
// systemd --user makes in XDG_RUNTIME_DIR.
func userBus() string {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" {
		return addr
	}
	dir := os.Getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		return ""
	}
	sock := filepath.Join(dir, "bus")
	if st, err := os.Stat(sock); err != nil || st.Mode().Type() != os.ModeSocket {
		return ""
	}
	return "unix:path=" + sock
}

// Request is what the user asked for.
type Request struct {
	// Manager is --cgroup-manager: "", systemd, cgroupfs or none.
	Manager string
	// Disabled is --cgroups=disabled.
	Disabled bool
	// Limits: some resource flag was given.
	Limits bool
	// Parent is --cgroup-parent: where the container's cgroup is made.
	Parent string
}

// errNeedV2 says why a limit cannot be had on a v1 or hybrid host.
func errNeedV2(h Host, what, fix string) error {
	return fmt.Errorf("%s: this host has %s, and rootless limits need cgroup v2 with a delegated subtree or a systemd user manager (boot with systemd.unified_cgroup_hierarchy=1): %s", what, h.Mode, fix)
}

// NoCgroupReason says why Choose gave a container no cgroup when it was
// not asked to: "" when it was asked to, or a manager was found.
func NoCgroupReason(r Request, h Host, chosen string) string {
	switch {
	case chosen != ManagerNone || r.Disabled || r.Manager == ManagerNone:
		return ""
	case h.Mode != Unified:
		// Nothing the user can change per container: said by `urun
		// info`, and by a limit flag's error, not on every run.
		return ""
	case h.SlurmJob != "" && !h.Delegated:
		// It shares the job's cgroup and limits, as it should.
		return ""
	}
	return "urun's own cgroup is not delegated and no systemd user manager is reachable over D-Bus ($XDG_RUNTIME_DIR/bus)"
}

// Choose picks the manager: none when asked or when nothing is to be
// limited and no cgroup can be had; cgroupfs when urun already runs in a
// delegated cgroup (so that a container started in a unit with
// Delegate=yes stays in that unit); else systemd when the user's manager
// is reachable. A limit that cannot be honoured is an error, never
// ignored.
func Choose(r Request, h Host) (string, error) {
	switch r.Manager {
	case "", ManagerSystemd, ManagerCgroupfs, ManagerNone:
	default:
		return "", fmt.Errorf("--cgroup-manager %s: want systemd, cgroupfs or none", r.Manager)
	}
	if r.Parent != "" {
		return chooseForParent(r, h)
	}
	if r.Disabled || r.Manager == ManagerNone {
		if r.Limits {
			return "", errors.New("resource limits need a cgroup of the container's own: drop --cgroups=disabled / --cgroup-manager none, or the limit flags")
		}
		return ManagerNone, nil
	}
	if h.Mode != Unified {
		// Root has the v1 controllers, as Docker's cgroupfs driver
		// uses them; a user has no delegation there.
		if name, ok, err := chooseV1(r, h); ok {
			return name, err
		}
		switch {
		case r.Limits:
			return "", errNeedV2(h, "resource limits (--memory, --cpus, --pids-limit...)", "urun cannot honour them here, run without them")
		case r.Manager != "":
			return "", errNeedV2(h, "--cgroup-manager "+r.Manager, "urun makes no cgroups here, run without it")
		}
		return ManagerNone, nil
	}
	if h.rootManaged() || h.writesAll() && r.Manager == ManagerSystemd {
		return chooseAsRoot(r, h)
	}
	switch r.Manager {
	case ManagerCgroupfs:
		if !h.Writable {
			return "", fmt.Errorf("--cgroup-manager cgroupfs: urun's cgroup %s is not delegated to you (you cannot write its cgroup.procs and cgroup.subtree_control): run urun in a systemd unit with Delegate=yes or a job with a delegated cgroup, or use --cgroup-manager systemd", h.OwnDir)
		}
		return ManagerCgroupfs, nil
	case ManagerSystemd:
		if h.Bus == "" {
			return "", errors.New("--cgroup-manager systemd: no systemd user manager is reachable over D-Bus ($XDG_RUNTIME_DIR/bus is missing and DBUS_SESSION_BUS_ADDRESS is unset): log in so that systemd --user runs (or 'loginctl enable-linger'), or use --cgroup-manager cgroupfs in a delegated cgroup")
		}
		return ManagerSystemd, nil
	}
	switch {
	case h.Delegated:
		return ManagerCgroupfs, nil
	case h.SlurmJob != "":
		// A scope of the user's systemd would take the container out of
		// the job: out of its limits, and out of reach of scancel. It
		// stays in the job's cgroup, under the job's limits.
		if r.Limits {
			return "", fmt.Errorf("resource limits (--memory, --cpus, --pids-limit...): urun runs in Slurm job %s, whose cgroup is not delegated to you: the container stays in the job, under the job's own limits; ask Slurm for them (srun/sbatch --mem, --cpus-per-task) and run without these flags", h.SlurmJob)
		}
		return ManagerNone, nil
	case h.Bus != "":
		return ManagerSystemd, nil
	case r.Limits:
		return "", errors.New("resource limits need a cgroup of the container's own, and urun has none to give: its own cgroup is not delegated and no systemd user manager is reachable over D-Bus ($XDG_RUNTIME_DIR/bus): log in so that systemd --user runs, or run urun in a unit with Delegate=yes")
	}
	return ManagerNone, nil
}

// UnavailableError is a manager that could not be reached at all: the
// container was not moved anywhere.
type UnavailableError struct{ Err error }

func (e *UnavailableError) Error() string { return e.Err.Error() }
func (e *UnavailableError) Unwrap() error { return e.Err }

// New returns the manager named by Choose; nil for none.
func New(name string, h Host) Manager {
	switch name {
	case ManagerSystemd:
		return &systemdManager{bus: h.Bus}
	case ManagerCgroupfs:
		return newCgroupfs(h)
	case ManagerCgroupfsV1:
		return cgroupfsV1Manager{}
	}
	return nil
}

// Close removes the container's cgroup once it ended and says how many
// processes its memory limit killed. It is for the end of the container:
// its processes are gone.
func (c *Cgroup) Close() (oomKills uint64, err error) {
	if c.V1() {
		return c.closeV1()
	}
	if c.watch != nil {
		// Read at once: the count rises before the killed process
		// dies, and the file is there until removed below, unless
		// systemd removed an emptied scope first; then what
		// NoteOOMKills and the watch saw counts.
		oomKills, _ = OOMKills(c.Dir)
		oomKills = max(oomKills, c.oomKills, c.watch.stop())
	}
	scope := ""
	if c.Dir != "" {
		err = removeCgroup(c.Dir)
		scope = filepath.Dir(c.Dir)
	}
	if c.Unit != "" {
		if serr := stopScope(c.Bus, c.Unit, scope); err == nil {
			err = serr
		}
		if oomKills > 0 {
			resetFailed(c.Bus, c.Unit)
		}
	}
	return oomKills, err
}

// RemoveLeft removes the cgroup (path, as the container's record keeps
// it) that a urun killed outright left behind: the container's processes
// ended with their monitor, and nothing else removes a cgroup urun made
// itself. The caller holds the container's lock, so that nothing runs it;
// a cgroup already gone is no error.
func RemoveLeft(path string) error {
	if path == "" {
		return nil
	}
	// Root's container on a v1 host has a directory in each hierarchy.
	if dirs := v1JoinDirs(Dir(path)); dirs != nil {
		var first error
		for _, d := range dirs {
			if err := removeCgroup(d); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	return removeCgroup(filepath.Join(Root, path))
}

// DefaultPlace says where a container's cgroup goes by default on a
// cgroup v2 host (for `urun info`): the manager Choose picks without
// flags, and where it makes the cgroup or why there is none.
func DefaultPlace(h Host) (manager, where string) {
	name, err := Choose(Request{}, h)
	switch {
	case err != nil:
		return ManagerNone, err.Error()
	case name == ManagerCgroupfs && h.rootManaged():
		return name, "urun run by root makes each container's cgroup itself, under " + filepath.Join(Root, RootParent)
	case name == ManagerCgroupfs:
		return name, "each container's cgroup is made in urun's delegated cgroup " + h.OwnDir
	case name == ManagerSystemd:
		return name, "each container gets a delegated scope from your systemd user manager"
	case h.SlurmJob != "":
		return name, "containers stay in Slurm job " + h.SlurmJob + "'s cgroup, under its limits"
	}
	return name, NoCgroupReason(Request{}, h, name) + ": containers get no cgroup of their own, and limit flags are refused"
}
