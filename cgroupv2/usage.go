package cgroupv2

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Usage is what a cgroup's files tell of its processes' use of the host.
// A figure whose controller the cgroup lacks is not OK: the caller finds
// it elsewhere.
type Usage struct {
	// CPUUsec is cpu.stat's usage_usec (always there on cgroup v2).
	CPUUsec uint64
	CPUOK   bool
	// Memory is memory.current less memory.stat's inactive_file, as
	// Docker counts it; MemoryMax is memory.max, 0 for "max".
	Memory, MemoryMax uint64
	MemoryOK          bool
	PIDs              uint64
	PIDsOK            bool
	// BlockRead and BlockWrite add up io.stat's rbytes and wbytes over
	// the devices.
	BlockRead, BlockWrite uint64
	BlockOK               bool
}

// ReadUsage reads the usage of the cgroup at dir. It fails only when the
// cgroup is gone.
func ReadUsage(dir string) (Usage, error) {
	var u Usage
	if _, err := os.Stat(dir); err != nil {
		return u, err
	}
	if mounts, rel, ok := v1Cgroup(dir); ok {
		return readUsageV1(mounts, rel), nil
	}
	if v, err := readKey(filepath.Join(dir, "cpu.stat"), "usage_usec"); err == nil {
		u.CPUUsec, u.CPUOK = parseUint(v), true
	}
	if v, err := readValue(filepath.Join(dir, "memory.current")); err == nil {
		u.Memory, u.MemoryOK = parseUint(v), true
		if inactive, err := readKey(filepath.Join(dir, "memory.stat"), "inactive_file"); err == nil {
			if n := parseUint(inactive); n < u.Memory {
				u.Memory -= n
			}
		}
		if max, err := readValue(filepath.Join(dir, "memory.max")); err == nil && max != "max" {
			u.MemoryMax = parseUint(max)
		}
	}
	if v, err := readValue(filepath.Join(dir, "pids.current")); err == nil {
		u.PIDs, u.PIDsOK = parseUint(v), true
	}
	if data, err := os.ReadFile(filepath.Join(dir, "io.stat")); err == nil {
		u.BlockRead, u.BlockWrite = ioStat(string(data))
		u.BlockOK = true
	}
	return u, nil
}

// ioStat adds rbytes and wbytes over io.stat's lines
// ("8:0 rbytes=1 wbytes=2 rios=3 ...").
func ioStat(data string) (read, write uint64) {
	for _, line := range strings.Split(data, "\n") {
		for _, f := range strings.Fields(line) {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "rbytes":
				read += parseUint(v)
			case "wbytes":
				write += parseUint(v)
			}
		}
	}
	return read, write
}

func readValue(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return "", errors.New(path + " is empty")
	}
	return v, nil
}

func parseUint(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}
