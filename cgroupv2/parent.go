package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
)

// sliceRe is a systemd slice's name: dashes nest it in the slice named
// by what comes before them (a-b.slice is in a.slice).
// It is compiled on first use, so that no urun start pays for it.
var sliceRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9:_.\\]+(?:-[a-zA-Z0-9:_.\\]+)*\.slice$`) })

// IsSlice says whether a --cgroup-parent names a systemd slice, not a
// cgroup path.
func IsSlice(parent string) bool {
	return strings.HasSuffix(parent, ".slice") && !strings.Contains(parent, "/")
}

// CheckParent checks a --cgroup-parent value as written: a systemd slice
// (NAME.slice), or a cgroup path, absolute (from the root of the
// hierarchy) or relative to urun's own cgroup, without "..".
func CheckParent(parent string) error {
	if IsSlice(parent) {
		if !sliceRe().MatchString(parent) {
			return fmt.Errorf("--cgroup-parent %q: not a systemd slice name: want letters, digits, ':', '_' and '.', parts joined by single dashes, then .slice (such as app-web.slice)", parent)
		}
		return nil
	}
	bad := parent == "" || strings.ContainsAny(parent, "\x00\n") || filepath.Clean(parent) == "/"
	for _, part := range strings.Split(parent, "/") {
		bad = bad || part == ".." || part == "."
	}
	if bad {
		return fmt.Errorf("--cgroup-parent %q: want a systemd slice NAME.slice or a cgroup path without '.' and '..' (relative: under urun's own cgroup)", parent)
	}
	return nil
}

// parentDir is the directory of cgroup path parent, which must be in a
// cgroup delegated to the user (or be one): the nearest part of it that
// exists is. With --cgroup-manager cgroupfs given (explicit) one the user
// may write is enough, as for urun's own cgroup (see Host.Writable): a
// systemd too old to mark delegated units, a transient scope.
func parentDir(h Host, parent string, explicit bool) (string, error) {
	dir := filepath.Join(h.OwnDir, parent)
	if filepath.IsAbs(parent) {
		dir = filepath.Join(Root, parent)
	}
	if h.writesAll() {
		// Root may write the whole hierarchy.
		return dir, nil
	}
	existing := dir
	for existing != Root {
		if _, err := os.Stat(existing); err == nil {
			break
		} else if !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("--cgroup-parent %s: %w", parent, err)
		}
		existing = filepath.Dir(existing)
	}
	if existing == Root || !delegated(existing) && !(explicit && writable(existing)) {
		return "", fmt.Errorf("--cgroup-parent %s: %s is not in a cgroup delegated to you (urun runs in %s): give a path in one (run urun in a systemd unit with Delegate=yes; in a cgroup you may write that systemd does not mark delegated, add --cgroup-manager cgroupfs), or a systemd slice NAME.slice", parent, dir, h.OwnDir)
	}
	return dir, nil
}

// chooseForParent picks the manager that can make the container's cgroup
// in parent: systemd for a slice, cgroupfs for a path.
func chooseForParent(r Request, h Host) (string, error) {
	if r.Disabled || r.Manager == ManagerNone {
		return "", fmt.Errorf("--cgroup-parent %s: it places the container's own cgroup, and --cgroups=disabled / --cgroup-manager none give it none: drop one of them", r.Parent)
	}
	if h.Mode != Unified {
		if root, _ := rootV1(); root {
			return "", fmt.Errorf("--cgroup-parent %s: this host has %s, where urun makes root's containers' cgroups only as urun/urun-ID in each v1 hierarchy (/sys/fs/cgroup/CONTROLLER/urun): run without --cgroup-parent", r.Parent, h.Mode)
		}
		return "", errNeedV2(h, "--cgroup-parent "+r.Parent, "urun makes no cgroups here, run without it")
	}
	if IsSlice(r.Parent) {
		if r.Manager == ManagerCgroupfs {
			return "", fmt.Errorf("--cgroup-parent %s is a systemd slice, which only the systemd manager makes: drop --cgroup-manager cgroupfs, or give a cgroup path", r.Parent)
		}
		if h.Bus == "" && h.writesAll() {
			return "", fmt.Errorf("--cgroup-parent %s: a slice is made by the system's systemd manager, which is not reachable (systemd is not this host's init): give a cgroup path instead, such as /%s (from the root of the hierarchy, %s)", r.Parent, strings.TrimSuffix(r.Parent, ".slice"), Root)
		}
		if h.Bus == "" {
			return "", fmt.Errorf("--cgroup-parent %s: a slice is made by your systemd user manager, and none is reachable over D-Bus ($XDG_RUNTIME_DIR/bus is missing and DBUS_SESSION_BUS_ADDRESS is unset): log in so that systemd --user runs, or give a cgroup path in a delegated cgroup", r.Parent)
		}
		return ManagerSystemd, nil
	}
	if r.Manager == ManagerSystemd {
		return "", fmt.Errorf("--cgroup-parent %s is a cgroup path, which the systemd manager does not take: give a slice NAME.slice, or drop --cgroup-manager systemd", r.Parent)
	}
	if _, err := parentDir(h, r.Parent, r.Manager == ManagerCgroupfs); err != nil {
		return "", err
	}
	return ManagerCgroupfs, nil
}

// NewIn returns the manager named by Choose that makes containers'
// cgroups in parent (--cgroup-parent; "" for the default place).
func NewIn(name string, h Host, parent string) Manager {
	switch {
	case parent == "":
	case name == ManagerSystemd && IsSlice(parent):
		return &systemdManager{bus: h.Bus, slice: parent}
	case name == ManagerCgroupfs:
		// Choose checked it.
		dir, _ := parentDir(h, parent, true)
		m := &cgroupfsManager{dir: dir, makeDir: true}
		if h.writesAll() {
			m.top = Root
		}
		return m
	}
	return New(name, h)
}

// makeParents makes dir and the cgroups above it that are missing, each
// with the controllers of files and the accounting ones enabled for its
// children. With top ("" for none: the nearest existing cgroup), the
// cgroups that exist from top down to dir get them too, as root may
// enable them anywhere.
func makeParents(dir, top string, files map[string]string) error {
	var below []string
	existing := dir
	for existing != top && existing != Root && existing != filepath.Dir(existing) {
		if _, err := os.Stat(existing); err == nil && top == "" {
			break
		}
		below = append(below, filepath.Base(existing))
		existing = filepath.Dir(existing)
	}
	cur := existing
	for i := len(below) - 1; i >= 0; i-- {
		enable, err := checkControllers(cur, controllersFor(files))
		if err != nil {
			return err
		}
		if err := enableControllers(cur, leafName, enable); err != nil {
			return err
		}
		cur = filepath.Join(cur, below[i])
		if err := os.Mkdir(cur, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create the cgroup %s: %w", cur, err)
		}
	}
	return nil
}
