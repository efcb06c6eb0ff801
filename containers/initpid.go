package containers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// InitPID reads the host pid of a running container's init, and checks
// that the process is in another user namespace than this one, as a
// container's init is: the number of an ended process may have been
// reused.
func InitPID(dir string) (int, error) {
	pid, err := readPIDFile(filepath.Join(dir, initPIDFile))
	if err != nil {
		return 0, err
	}
	nsPID, err := NamespacePID(pid)
	if err != nil {
		return 0, err
	}
	theirs, err := os.Readlink("/proc/" + strconv.Itoa(nsPID) + "/ns/user")
	if err != nil {
		return 0, err
	}
	ours, err := os.Readlink("/proc/self/ns/user")
	if err != nil || theirs == ours {
		return 0, fmt.Errorf("pid %d is not a container's init", pid)
	}
	return pid, nil
}

// NamespacePID returns a process whose namespaces are those of the
// container whose init is pid: init itself or, when init is urun's tiny
// init (`run --init`), which no unprivileged process may inspect (it is
// not dumpable), its only child, the command's process.
func NamespacePID(pid int) (int, error) {
	proc := "/proc/" + strconv.Itoa(pid)
	_, err := os.Readlink(proc + "/ns/user")
	if err == nil || !errors.Is(err, os.ErrPermission) {
		return pid, err
	}
	children, cerr := os.ReadFile(proc + "/task/" + strconv.Itoa(pid) + "/children")
	if cerr != nil {
		return 0, fmt.Errorf("find the command under the container's init (pid %d): %w", pid, cerr)
	}
	fields := strings.Fields(string(children))
	if len(fields) == 0 {
		return 0, fmt.Errorf("the container's init (pid %d) has no command running: %w", pid, err)
	}
	child, cerr := strconv.Atoi(fields[0])
	if cerr != nil {
		return 0, fmt.Errorf("read the children of the container's init (pid %d): %q", pid, children)
	}
	return child, nil
}

// RecordInitPID writes the host pid of the container's init into its run
// state directory dir, once its command has started: `urun stop`, `exec`
// and `rm -f` reach the container through it. ForgetInitPID removes it
// when the container ends.
func RecordInitPID(dir string, pid int) error {
	return writePIDFile(filepath.Join(dir, initPIDFile), pid)
}

// ForgetInitPID removes what RecordInitPID wrote.
func ForgetInitPID(dir string) {
	os.Remove(filepath.Join(dir, initPIDFile))
}

// RecordMonitorPID writes this process's pid into the run state directory
// dir as the container's monitor's, for `urun stop` between restarts;
// forget removes it.
func RecordMonitorPID(dir string) (forget func(), err error) {
	path := filepath.Join(dir, monitorPIDFile)
	if err := writePIDFile(path, os.Getpid()); err != nil {
		return nil, err
	}
	return func() { os.Remove(path) }, nil
}

func writePIDFile(path string, pid int) error {
	if err := os.WriteFile(path, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readPIDFile reads a pid that urun wrote into path.
func readPIDFile(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return 0, fmt.Errorf("bad pid %q in %s", data, path)
	}
	return pid, nil
}
