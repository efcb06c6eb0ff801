package cgroupv2

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Mode is how the host mounts cgroups.
type Mode int

const (
	// Legacy: cgroup v1 only.
	Legacy Mode = iota
	// Hybrid: v1 controllers, with a cgroup2 at /sys/fs/cgroup/unified
	// that holds no controller a rootless container could use.
	Hybrid
	// Unified: cgroup2 at /sys/fs/cgroup, the only mode with rootless
	// limits.
	Unified
)

func (m Mode) String() string {
	return [...]string{"cgroup v1", "hybrid cgroups (v1 controllers, v2 without them)", "cgroup v2"}[m]
}

// Root is where the unified hierarchy is mounted.
const Root = "/sys/fs/cgroup"

// DetectMode tells the host's mode from the file systems at /sys/fs/cgroup
// and /sys/fs/cgroup/unified.
func DetectMode() (Mode, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(Root, &st); err != nil {
		return Legacy, fmt.Errorf("find how cgroups are mounted: statfs %s: %w", Root, err)
	}
	var unified unix.Statfs_t
	if unix.Statfs(filepath.Join(Root, "unified"), &unified) != nil {
		unified.Type = 0
	}
	return modeOf(int64(st.Type), int64(unified.Type)), nil
}

// modeOf is the mode for the file system types (statfs magic numbers) of
// /sys/fs/cgroup and /sys/fs/cgroup/unified.
func modeOf(root, unified int64) Mode {
	switch {
	case root == unix.CGROUP2_SUPER_MAGIC:
		return Unified
	case unified == unix.CGROUP2_SUPER_MAGIC:
		return Hybrid
	}
	return Legacy
}

// OwnCgroup is the caller's cgroup v2 path ("/user.slice/..."), from
// /proc/self/cgroup.
func OwnCgroup() (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", fmt.Errorf("find urun's own cgroup: %w", err)
	}
	return parseProcCgroup(data)
}

// ProcessCgroup is pid's cgroup v2 path.
func ProcessCgroup(pid int) (string, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		return "", fmt.Errorf("find the cgroup of process %d: %w", pid, err)
	}
	return parseProcCgroup(data)
}

// parseProcCgroup finds the unified hierarchy's line, "0::PATH", among
// the v1 lines ("N:CONTROLLERS:PATH") of a /proc/PID/cgroup.
func parseProcCgroup(data []byte) (string, error) {
	for _, line := range bytes.Split(data, []byte("\n")) {
		if path, ok := strings.CutPrefix(string(line), "0::"); ok {
			if !strings.HasPrefix(path, "/") {
				return "", fmt.Errorf("cgroup v2 path %q is not absolute", path)
			}
			// A cgroup removed under a process reads "/x (deleted)".
			return strings.TrimSuffix(path, " (deleted)"), nil
		}
	}
	return "", errors.New("no cgroup v2 line (0::PATH) in /proc/PID/cgroup")
}

// JoinableDir opens the cgroup of pid (a container's init) for a new
// process to start in (CLONE_INTO_CGROUP), when the caller may put one
// there: both cgroups under a common ancestor the caller may write, as
// in a delegated subtree (cgroupfs), and no controllers enabled below the
// target. nil otherwise, as from a login session into a systemd scope,
// where only systemd may move processes in.
func JoinableDir(pid int) *os.File {
	if mode, err := DetectMode(); err != nil || mode != Unified {
		return nil
	}
	target, err := ProcessCgroup(pid)
	if err != nil {
		return nil
	}
	own, err := OwnCgroup()
	if err != nil {
		return nil
	}
	dir := filepath.Join(Root, target)
	enabled, err := readList(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil || len(enabled) > 0 {
		return nil
	}
	ancestor := filepath.Join(Root, commonAncestor(own, target))
	for _, p := range []string{filepath.Join(ancestor, "cgroup.procs"), filepath.Join(dir, "cgroup.procs")} {
		if unix.Access(p, unix.W_OK) != nil {
			return nil
		}
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil
	}
	return f
}

// commonAncestor is the deepest cgroup path that holds both a and b.
func commonAncestor(a, b string) string {
	as, bs := strings.Split(strings.Trim(a, "/"), "/"), strings.Split(strings.Trim(b, "/"), "/")
	var common []string
	for i := 0; i < len(as) && i < len(bs) && as[i] == bs[i] && as[i] != ""; i++ {
		common = append(common, as[i])
	}
	return "/" + strings.Join(common, "/")
}
