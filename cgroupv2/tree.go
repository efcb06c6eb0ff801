package cgroupv2

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DelegateFix is the drop-in that delegates every controller urun's
// limits use to the users' systemd managers.
const DelegateFix = `add the drop-in /etc/systemd/system/user@.service.d/delegate.conf with
[Service]
Delegate=cpu cpuset io memory pids
then run 'sudo systemctl daemon-reload' and log in again`

// MissingControllersError says which controllers a limit needs that the
// cgroup urun was given lacks.
type MissingControllersError struct {
	Dir     string
	Missing []string
	Have    []string
}

func (e *MissingControllersError) Error() string {
	have := strings.Join(e.Have, " ")
	if have == "" {
		have = "none"
	}
	return fmt.Sprintf("the limits asked for need the cgroup controller(s) %s, which were not delegated to %s (it has: %s): %s",
		strings.Join(e.Missing, " "), e.Dir, have, DelegateFix)
}

// controllersFor are the controllers whose files the limits write: the
// part of each file name before the dot.
func controllersFor(files map[string]string) []string {
	var need []string
	for name := range files {
		c, _, _ := strings.Cut(name, ".")
		if !slices.Contains(need, c) {
			need = append(need, c)
		}
	}
	slices.Sort(need)
	return need
}

func readList(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(data)), nil
}

// accounting are the controllers whose figures `urun stats` reads
// (memory.current, cpu.stat, io.stat, pids.current): enabled for every
// container where dir has them, limits or not, as Docker and podman do.
var accounting = []string{"cpu", "io", "memory", "pids"}

// checkControllers fails when dir's cgroup.controllers lacks one of need;
// else it returns need and the accounting controllers dir has.
func checkControllers(dir string, need []string) ([]string, error) {
	have, err := readList(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("read the controllers of %s: %w", dir, err)
	}
	var missing []string
	for _, c := range need {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, &MissingControllersError{Dir: dir, Missing: missing, Have: have}
	}
	enable := slices.Clone(need)
	for _, c := range accounting {
		if slices.Contains(have, c) && !slices.Contains(enable, c) {
			enable = append(enable, c)
		}
	}
	slices.Sort(enable)
	return enable, nil
}

// enableControllers writes need into dir's cgroup.subtree_control, so
// that dir's children get their files. The kernel refuses while dir itself
// holds processes (the no-internal-process rule), so they are moved to the
// child leaf first.
func enableControllers(dir, leaf string, need []string) error {
	enabled, err := readList(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return fmt.Errorf("read the enabled controllers of %s: %w", dir, err)
	}
	var add []string
	for _, c := range need {
		if !slices.Contains(enabled, c) {
			add = append(add, "+"+c)
		}
	}
	if len(add) == 0 {
		return nil
	}
	if err := evacuate(dir, leaf); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(add, " ")), 0); err != nil {
		return fmt.Errorf("enable controllers %s in %s: %w", strings.Join(add, " "), dir, err)
	}
	return nil
}

// evacuate moves every process of dir itself into dir/leaf; none at the
// root of the hierarchy, which may hold processes beside enabled
// controllers (and kernel threads, which cannot move).
func evacuate(dir, leaf string) error {
	if hierarchyRoot(dir) {
		return nil
	}
	procs, err := readList(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return fmt.Errorf("read the processes of %s: %w", dir, err)
	}
	if len(procs) == 0 {
		return nil
	}
	to := filepath.Join(dir, leaf)
	if err := os.Mkdir(to, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create leaf cgroup %s: %w", to, err)
	}
	for _, pid := range procs {
		// A process that exited meanwhile is no process to move.
		if err := os.WriteFile(filepath.Join(to, "cgroup.procs"), []byte(pid), 0); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("move process %s to leaf cgroup %s: %w", pid, to, err)
		}
	}
	return nil
}

// makeChild makes the container's cgroup dir/name in the delegated cgroup
// dir, moves pid into it (0: none yet), enables the controllers the
// limits need and the accounting ones (moving what else is in dir to
// dir/leaf) and writes the limit files. pid must not run the container's command yet: it is
// unlimited until the end.
func makeChild(dir, name, leaf string, pid int, files map[string]string) (string, error) {
	enable, err := checkControllers(dir, controllersFor(files))
	if err != nil {
		return "", err
	}
	child := filepath.Join(dir, name)
	err = os.Mkdir(child, 0o755)
	if errors.Is(err, os.ErrExist) {
		// Left by a urun that was killed (the container's lock, which the
		// caller holds, says none runs it now): whatever is still in it
		// belongs to that dead run.
		if err = removeCgroup(child); err == nil {
			err = os.Mkdir(child, 0o755)
		}
	}
	if err != nil {
		return "", fmt.Errorf("create the container's cgroup %s: %w", child, err)
	}
	if pid != 0 {
		if err := os.WriteFile(filepath.Join(child, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
			return child, fmt.Errorf("move the container into its cgroup %s: %w", child, err)
		}
	}
	if err := enableControllers(dir, leaf, enable); err != nil {
		return child, err
	}
	// memory.max before memory.swap.max and the like do not depend on
	// each other in v2, but a stable order makes errors repeatable.
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(child, n), []byte(files[n]), 0); err != nil {
			return child, fmt.Errorf("write %s %q in %s: %w", n, files[n], child, err)
		}
	}
	return child, nil
}

// removeCgroup removes the container's cgroup once it ended. Processes
// of its PID namespace may take a moment to be gone after init; cgroup.kill
// ends any that remain (in a cgroup v1 directory, which has none, they are
// killed one by one).
func removeCgroup(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		if os.WriteFile(filepath.Join(dir, "cgroup.kill"), []byte("1"), 0) != nil {
			procs, _ := readList(filepath.Join(dir, "cgroup.procs"))
			for _, p := range procs {
				if pid, perr := strconv.Atoi(p); perr == nil && pid > 0 {
					unix.Kill(pid, unix.SIGKILL)
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("remove the container's cgroup %s: %w", dir, err)
}

// OOMKills reads oom_kill of dir's memory.events: how many processes
// the memory limit killed. A cgroup v1 memory directory has the count in
// memory.oom_control (kernel 4.13 and later).
func OOMKills(dir string) (uint64, error) {
	data, err := os.ReadFile(filepath.Join(dir, "memory.events"))
	if errors.Is(err, os.ErrNotExist) {
		data, err = os.ReadFile(filepath.Join(dir, "memory.oom_control"))
	}
	if err != nil {
		return 0, fmt.Errorf("read the container's memory events: %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "oom_kill "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, nil
}

// hierarchyRoot: dir is the root cgroup of the hierarchy, the only one
// without a cgroup.type; a cgroup namespace's root, as a container sees
// its /sys/fs/cgroup, has one and follows the rules of any other.
func hierarchyRoot(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "cgroup.type"))
	return errors.Is(err, os.ErrNotExist) && dir == Root
}
