package cgroupv2

import (
	"fmt"
	"os"
)

// leafName is the child cgroup that the processes of a delegated cgroup
// move to when controllers are enabled there: a cgroup with enabled
// controllers may hold no processes of its own.
const leafName = "leaf"

// cgroupfsManager makes containers' cgroups right under the delegated
// cgroup urun runs in: a unit with Delegate=yes (such as one from `urun
// generate systemd`), a Slurm job, a container.
type cgroupfsManager struct {
	dir string
	// makeDir: dir is a --cgroup-parent, made if missing.
	makeDir bool
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
		if err := makeParents(m.dir, files); err != nil {
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
