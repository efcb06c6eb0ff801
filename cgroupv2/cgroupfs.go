package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// leafName is the child cgroup that the processes of a delegated cgroup
// move to when controllers are enabled there: a cgroup with enabled
// controllers may hold no processes of its own.
const leafName = "leaf"

// RootParent is the cgroup below the root of the hierarchy in which urun
// run by root makes its containers' cgroups (/sys/fs/cgroup/urun/urun-ID),
// as Docker's cgroupfs driver does in /docker.
const RootParent = "urun"

// cgroupfsManager makes containers' cgroups right under the delegated
// cgroup urun runs in: a unit with Delegate=yes (such as one from `urun
// generate systemd`), a Slurm job, a container.
type cgroupfsManager struct {
	dir string
	// makeDir: dir is a --cgroup-parent, made if missing.
	makeDir bool
	// top: with makeDir, the cgroup from which down to dir urun enables
	// the controllers in every cgroup, not only in those it makes: the
	// root of the hierarchy for root, which may; "" otherwise.
	top string
}

// newCgroupfs is the cgroupfs manager for the default place: root's
// parent below the root of the hierarchy, else urun's own delegated
// cgroup.
func newCgroupfs(h Host) *cgroupfsManager {
	if h.rootManaged() {
		return &cgroupfsManager{dir: filepath.Join(Root, RootParent), makeDir: true, top: Root}
	}
	return &cgroupfsManager{dir: h.OwnDir}
}

// chooseAsRoot picks the manager for root, which makes containers'
// cgroups itself (Host.rootManaged) unless it asks for scopes of the
// system's systemd manager. It is also what root's --cgroup-manager
// systemd gets in a delegated cgroup.
func chooseAsRoot(r Request, h Host) (string, error) {
	if r.Manager == ManagerSystemd {
		if h.Bus == "" {
			return "", errors.New("--cgroup-manager systemd: the system's systemd manager is not reachable (no socket " + strings.TrimPrefix(systemPrivate, "unix:path=") + ": systemd is not this host's init): drop the flag, and urun run by root makes containers' cgroups itself (cgroupfs, under " + filepath.Join(Root, RootParent) + " unless urun runs in a delegated cgroup)")
		}
		return ManagerSystemd, nil
	}
	return ManagerCgroupfs, nil
}

// Prepare makes the container's cgroup before its first process exists
// and returns its directory open, for clone3's CLONE_INTO_CGROUP: the
// process starts inside. That spares the migration Place does, which takes
// a lock whose writer waits for an RCU grace period: milliseconds on every
// start.
func (m *cgroupfsManager) Prepare(id string, files map[string]string) (*Cgroup, *os.File, error) {
	cg, err := m.Place(id, 0, files)
	if err != nil {
		return cg, nil, err
	}
	dir, err := os.Open(cg.Dir)
	if err != nil {
		return cg, nil, fmt.Errorf("open the container's cgroup: %w", err)
	}
	return cg, dir, nil
}

func (m *cgroupfsManager) Place(id string, pid int, files map[string]string) (*Cgroup, error) {
	if m.makeDir {
		if err := makeParents(m.dir, m.top, files); err != nil {
			return nil, err
		}
	}
	dir, err := makeChild(m.dir, "urun-"+id, leafName, pid, files)
	if err != nil {
		if dir == "" {
			return nil, err
		}
		// Closed once the caller ended the container.
		return &Cgroup{Dir: dir}, err
	}
	return &Cgroup{Dir: dir, watch: watchOOM(dir)}, nil
}
