package containers

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Usage is a running container's use of the host at one moment: what its
// cgroup's files tell where it has a cgroup of its own (see
// readCgroupUsage), else the sum of what /proc tells of its processes.
type Usage struct {
	// CPUTicks is its processes' CPU time (their own and their waited-for
	// children's), SystemTicks the host's, both in clock ticks (both in
	// microseconds when read from the cgroup).
	CPUTicks, SystemTicks uint64
	OnlineCPUs            int
	// Memory is the sum of its processes' resident set sizes, or its
	// cgroup's memory.current less inactive_file, as Docker counts it.
	Memory uint64
	// MemoryLimit is its cgroup's memory.max, or the host's memory when
	// that is "max", as Docker shows it; 0 without a cgroup.
	MemoryLimit uint64
	// Cgroup: the figures come from its cgroup.
	Cgroup bool
	PIDs   int
	// NetRx and NetTx count its network's bytes, loopback aside; NetOK
	// is false when it has no network of its own.
	NetRx, NetTx uint64
	NetOK        bool
	// BlockRead and BlockWrite are the bytes its processes made the
	// storage read and write; BlockOK is false when a process's
	// /proc/PID/io could not be read (urun's tiny init's aside).
	BlockRead, BlockWrite uint64
	BlockOK               bool
}

// ReadUsage reads the usage of the running container c (called ref).
func ReadUsage(c Container, ref string) (Usage, error) {
	procs, err := Processes(c.Dir, ref)
	if err != nil {
		return Usage{}, err
	}
	var u Usage
	if u.SystemTicks, u.OnlineCPUs, err = systemTicks(); err != nil {
		return u, err
	}
	page := uint64(unix.Getpagesize())
	u.BlockOK = true
	// urun's tiny init (`run --init`) only waits and passes signals on;
	// its I/O, which no unprivileged process may read, is left out.
	nsPID, _ := NamespacePID(procs[0].PID)
	tinyInit := nsPID != procs[0].PID
	for i, p := range procs {
		dir := "/proc/" + strconv.Itoa(p.PID)
		stat, err := os.ReadFile(dir + "/stat")
		if err != nil {
			continue // it ended
		}
		u.PIDs++
		u.CPUTicks += cpuTicks(string(stat))
		if statm, err := os.ReadFile(dir + "/statm"); err == nil {
			if f := strings.Fields(string(statm)); len(f) > 1 {
				rss, _ := strconv.ParseUint(f[1], 10, 64)
				u.Memory += rss * page
			}
		}
		read, write, ok := blockIO(dir + "/io")
		u.BlockRead, u.BlockWrite = u.BlockRead+read, u.BlockWrite+write
		u.BlockOK = u.BlockOK && (ok || i == 0 && tinyInit)
	}
	u.NetRx, u.NetTx, u.NetOK = netIO(procs[0].PID)
	if c.Cgroup != "" {
		readCgroupUsage(&u, c.Cgroup)
	}
	return u, nil
}

// cpuTicks adds utime, stime, cutime and cstime of a /proc/PID/stat line.
func cpuTicks(stat string) uint64 {
	// The command name (field 2) may hold spaces: count after its ")".
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime..cstime are fields 14 to 17.
	var sum uint64
	for _, k := range []int{11, 12, 13, 14} {
		if k < len(f) {
			n, _ := strconv.ParseInt(f[k], 10, 64)
			if n > 0 {
				sum += uint64(n)
			}
		}
	}
	return sum
}

// systemTicks reads the host's total CPU time and its number of CPUs
// from /proc/stat, as Docker's CPU % uses them.
func systemTicks() (uint64, int, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, fmt.Errorf("read the host's CPU time: %w", err)
	}
	defer f.Close()
	var total uint64
	cpus := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) > 0 && fields[0] == "cpu":
			// user nice system idle iowait irq softirq steal; guest time
			// is already in user.
			for _, v := range fields[1:min(len(fields), 9)] {
				n, _ := strconv.ParseUint(v, 10, 64)
				total += n
			}
		case len(fields) > 0 && strings.HasPrefix(fields[0], "cpu"):
			cpus++
		}
	}
	return total, cpus, sc.Err()
}

// blockIO reads read_bytes and write_bytes of a /proc/PID/io.
func blockIO(path string) (read, write uint64, ok bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		key, value, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		switch key {
		case "read_bytes":
			read = n
		case "write_bytes":
			write = n
		}
	}
	return read, write, true
}

// netIO adds the received and sent bytes of every interface but lo of the
// network namespace of pid (or of the process NamespacePID finds for it).
// A container on the host's network has none of its own: ok is false.
func netIO(pid int) (rx, tx uint64, ok bool) {
	nsPID, err := NamespacePID(pid)
	if err != nil {
		return 0, 0, false
	}
	proc := "/proc/" + strconv.Itoa(nsPID)
	theirs, err1 := os.Readlink(proc + "/ns/net")
	ours, err2 := os.Readlink("/proc/self/ns/net")
	if err1 != nil || err2 != nil || theirs == ours {
		return 0, 0, false
	}
	data, err := os.ReadFile(proc + "/net/dev")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(data), "\n") {
		name, counters, found := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		f := strings.Fields(counters)
		if !found || name == "lo" || len(f) < 9 {
			continue
		}
		r, _ := strconv.ParseUint(f[0], 10, 64)
		t, _ := strconv.ParseUint(f[8], 10, 64)
		rx, tx = rx+r, tx+t
	}
	return rx, tx, true
}
