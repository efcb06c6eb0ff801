package containers

import (
	"os"
	"strconv"
	"strings"
)

// sharesCallersPIDNamespace says whether pidNS (a /proc/PID/ns/pid link)
// is this process's own: a container run with --pid host, whose
// processes are then not all of the namespace's.
func sharesCallersPIDNamespace(pidNS string) bool {
	own, err := os.Readlink("/proc/self/ns/pid")
	return err == nil && own == pidNS
}

// descendants are the processes of a container in the host's PID
// namespace (--pid host): init and the processes forked from it.
func descendants(initPID int) ([]Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid := parentPID(pid); ppid > 0 {
			children[ppid] = append(children[ppid], pid)
		}
	}
	procs := []Proc{{PID: initPID, NSPID: initPID}}
	for i := 0; i < len(procs); i++ {
		for _, c := range children[procs[i].PID] {
			procs = append(procs, Proc{PID: c, NSPID: c})
		}
	}
	return procs, nil
}

// parentPID reads the parent's pid from /proc/PID/stat (the field after
// the command's name, which may hold spaces and parentheses).
func parentPID(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(data)
	end := strings.LastIndexByte(s, ')')
	if end < 0 {
		return 0
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}
