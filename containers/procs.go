package containers

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Proc is one process of a running container.
type Proc struct {
	// PID is its host pid, NSPID its pid in the container.
	PID, NSPID int
}

// Processes returns the processes of the running container whose run
// state is dir (called ref by the user), init first: every process in
// its init's PID namespace. urun's tiny init (`run --init`) cannot be
// inspected, so the namespace is read from its command's process, and
// the init is listed by its pid.
func Processes(dir, ref string) ([]Proc, error) {
	if !locked(dir) {
		return nil, &NotRunningError{Ref: ref}
	}
	initPID, err := InitPID(dir)
	if err != nil {
		return nil, fmt.Errorf("container %s has not started its command yet: try again", ref)
	}
	nsPID, err := NamespacePID(initPID)
	if err != nil {
		return nil, fmt.Errorf("find container %s's processes: %w", ref, err)
	}
	pidNS, err := os.Readlink("/proc/" + strconv.Itoa(nsPID) + "/ns/pid")
	if err != nil {
		return nil, fmt.Errorf("read container %s's PID namespace: %w", ref, err)
	}
	if sharesCallersPIDNamespace(pidNS) {
		return descendants(initPID)
	}
	// The container's pids are the last of NSpid's at init's depth.
	depth := len(nsPIDs(initPID))
	if depth == 0 {
		return nil, fmt.Errorf("container %s ended", ref)
	}
	procs := []Proc{{PID: initPID, NSPID: containerPID(initPID, depth)}}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == initPID {
			continue
		}
		if ns, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && ns == pidNS {
			procs = append(procs, Proc{PID: pid, NSPID: containerPID(pid, depth)})
		}
	}
	return procs, nil
}

// containerPID is pid's number in the PID namespace at depth (counted as
// NSpid counts, from this process's namespace): 0 if it is gone.
func containerPID(pid, depth int) int {
	ids := nsPIDs(pid)
	if len(ids) < depth {
		return 0
	}
	return ids[depth-1]
}

// nsPIDs reads the NSpid line of /proc/PID/status: the process's pid in
// each PID namespace it is in, outermost first.
func nsPIDs(pid int) []int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "NSpid:")
		if !ok {
			continue
		}
		var ids []int
		for _, f := range strings.Fields(rest) {
			n, err := strconv.Atoi(f)
			if err != nil {
				return nil
			}
			ids = append(ids, n)
		}
		return ids
	}
	return nil
}
