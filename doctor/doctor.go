// Package doctor is `urun doctor`: it checks what rootless containers need
// on this host (subordinate ids, newuidmap, user namespaces, overlay and
// FUSE, /dev/net/tun, cgroups, the store's file system...) and says, for
// each problem, the command that fixes it.
//
// Each check is a small function of a Host, which Inspect fills from the
// machine (running the trials that only a process can make, side by side)
// and unit tests fill by hand.
package doctor

import (
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/idmap"
)

// Status is a check's verdict.
type Status string

const (
	// OK: nothing to do.
	OK Status = "ok"
	// Warning: urun works, with less (a fallback, a missing option).
	Warning Status = "warning"
	// Problem: urun cannot run containers until it is fixed.
	Problem Status = "problem"
	// Skipped: the check does not apply (as root, or without systemd);
	// the message says why.
	Skipped Status = "skipped"
)

// Result is one check's finding.
type Result struct {
	// Name is the check's stable name ("subids", "store", ...).
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Message says what was found.
	Message string `json:"message"`
	// Fix is the command an administrator (or the user) runs, for a
	// warning or a problem that has one.
	Fix string `json:"fix,omitempty"`
}

// Report is what `urun doctor` prints.
type Report struct {
	// OK: urun can run containers here (no problem; warnings allowed).
	OK     bool     `json:"ok"`
	Checks []Result `json:"checks"`
}

// Host is what the checks look at.
type Host struct {
	// Root prefixes the host's files the checks read (/etc, /proc/sys,
	// /dev, /sys/fs/cgroup, /var/lib/systemd, /run/systemd): "" for the
	// real ones, a temporary directory in tests.
	Root string
	// Caller is the user urun runs for; IsRoot when that is root.
	Caller idmap.Caller
	IsRoot bool
	// Self is urun's binary (for the AppArmor profile).
	Self string

	// Config is urun's configuration, nil when it could not be read
	// (ConfigErr says why); ConfigPath is where it is looked for.
	Config     *config.Config
	ConfigErr  error
	ConfigPath string
	// LocalStore is where a store that cannot stay where it is goes
	// (config.LocalStoreDir), for an ordinary user.
	LocalStore string

	// Cgroup is cgroupv2's view of the host (CgroupErr when it failed).
	Cgroup    cgroupv2.Host
	CgroupErr error
	// RootV1 says why root's cgroup v1 manager cannot work on a v1 or
	// hybrid host (cgroupv2.CheckV1Mounts), nil when it can; read for
	// root only.
	RootV1 error

	// What the trials found (see Inspect).
	Trials Trials

	Getenv   func(string) string
	LookPath func(string) (string, error)
	Statfs   func(string, *unix.Statfs_t) error
	// Owner is a file's st_mode and owner, following symlinks.
	Owner func(string) (mode uint32, uid uint32, err error)
	Xattr func(path, name string) ([]byte, error)
	// OpenRW opens a device read-write and closes it again.
	OpenRW func(string) error
}

// Trials are what only a process could find out; each runs in Inspect.
type Trials struct {
	// UserNS is the kernel's answer to a new user namespace with only
	// the caller's ids (nil: it worked). Not tried as root.
	UserNS error
	// UserNSTried: the trial ran.
	UserNSTried bool
	// Overlay is the kernel's overlay mounted in that namespace, in a
	// directory of OverlayDir (nil: it mounted).
	Overlay    error
	OverlayDir string
	// Mapping is the trial of a user namespace mapped as containers are,
	// with the subordinate ranges through newuidmap and newgidmap (nil:
	// it worked). MappingTried only when the caller has ranges.
	Mapping      error
	MappingTried bool
	// SystemdBus is the trial of the user's systemd manager over its bus
	// (nil: it answered). SystemdVersion is what it said.
	SystemdBus     error
	SystemdTried   bool
	SystemdVersion string
}

// path is a host file's path under Root.
func (h *Host) path(p string) string {
	if h.Root == "" {
		return p
	}
	return filepath.Join(h.Root, p)
}

// readTrimmed reads a small host file (a sysctl), ok false when absent.
func (h *Host) readTrimmed(p string) (string, bool) {
	data, err := os.ReadFile(h.path(p))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(data)), true
}

func (h *Host) exists(p string) bool {
	_, err := os.Stat(h.path(p))
	return err == nil
}

// check is one check.
type check func(*Host) Result

// checks are every check, in the order they are shown: who urun runs
// for, what a user namespace needs, the root file system, network,
// cgroups, directories.
var checks = []check{
	checkCaller, checkConfig, checkSubIDs, checkNewuidmap, checkNewgidmap, checkUserNS, checkAppArmor,
	checkOverlay, checkFuse, checkStoreFS, checkDiskSpace, checkSession,
	checkNetwork, checkPorts, checkPing,
	checkCgroups, checkSystemd, checkLinger,
}

// Diagnose runs every check on h.
func Diagnose(h *Host) Report {
	r := Report{OK: true}
	for _, c := range checks {
		res := c(h)
		if res.Status == Problem {
			r.OK = false
		}
		r.Checks = append(r.Checks, res)
	}
	return r
}

// skippedForRoot is a user-only check's line as root.
func skippedForRoot(name, why string) Result {
	return Result{Name: name, Status: Skipped, Message: "root: " + why}
}

// sysctlFix sets a sysctl now and at every boot.
func sysctlFix(key, value string) string {
	return "sudo sysctl -w " + key + "=" + quoteIfSpace(value) +
		" && echo '" + key + " = " + value + "' | sudo tee /etc/sysctl.d/90-urun-" + strings.ReplaceAll(key, ".", "-") + ".conf"
}

func quoteIfSpace(s string) string {
	if strings.ContainsAny(s, " \t") {
		return "'" + s + "'"
	}
	return s
}
