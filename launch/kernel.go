package launch

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
)

// unshareFlags are the namespaces the container's stage makes besides
// its user and network ones: the mount namespace always, the PID, UTS
// and IPC ones unless the container shares the host's (--pid, --uts,
// --ipc host).
func unshareFlags(s *specs.Spec) uintptr {
	flags := uintptr(unix.CLONE_NEWNS)
	for _, n := range []struct {
		typ  specs.LinuxNamespaceType
		flag uintptr
	}{{specs.PIDNamespace, unix.CLONE_NEWPID}, {specs.UTSNamespace, unix.CLONE_NEWUTS}, {specs.IPCNamespace, unix.CLONE_NEWIPC}} {
		if spec.HasNamespace(s, n.typ) {
			flags |= n.flag
		}
	}
	return flags
}

// userMountsOver says whether the user mounts a file of their own on
// dest (-v /etc/hosts:/etc/hosts): it replaces the one urun writes, as
// in Docker.
func userMountsOver(mounts []specs.Mount, dest string) bool {
	for _, m := range mounts {
		if m.Destination == dest {
			return true
		}
	}
	return false
}

// setOOMScoreAdj gives the stage --oom-score-adj before it forks init,
// which inherits it. The host writes it: init, not dumpable, cannot open
// its own /proc/self/oom_score_adj, and the stage waits for Continue.
func setOOMScoreAdj(p *stage.Process, s *specs.Spec) error {
	if s.Process == nil || s.Process.OOMScoreAdj == nil {
		return nil
	}
	adj := *s.Process.OOMScoreAdj
	path := fmt.Sprintf("/proc/%d/oom_score_adj", p.Cmd.Process.Pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(adj)), 0); err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return fmt.Errorf("set --oom-score-adj %d: %w: a rootless container can only raise it above urun's own (%s)", adj, err, "/proc/self/oom_score_adj")
		}
		return fmt.Errorf("set --oom-score-adj %d: %w", adj, err)
	}
	return nil
}
