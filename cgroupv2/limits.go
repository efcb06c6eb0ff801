// Package cgroupv2 turns Docker's resource flags into cgroup v2 interface
// files (issue 7). This file holds the flags' meaning only; placing a
// container in a cgroup is the managers' work.
package cgroupv2

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"golang.org/x/sys/unix"
)

// Flags are Docker's resource flags as the user gave them; "" or 0 means
// not given.
type Flags struct {
	Memory, MemoryReservation, MemorySwap string // -m, --memory-reservation, --memory-swap
	CPUs                                  string // --cpus
	CPUPeriod, CPUQuota                   int64  // --cpu-period, --cpu-quota
	CPUShares                             int64  // --cpu-shares
	CpusetCPUs, CpusetMems                string // --cpuset-cpus, --cpuset-mems
	PidsLimit                             int64  // --pids-limit (0: not given, -1 or less: no limit)
	BlkioWeight                           uint16 // --blkio-weight (10 to 1000)
	// DeviceReadBps etc. are DEVICE:RATE values.
	DeviceReadBps, DeviceWriteBps, DeviceReadIOps, DeviceWriteIOps []string
}

// minMemory is Docker's smallest memory limit.
const minMemory = 6 << 20

// defaultCPUPeriod is the kernel's and Docker's default cpu.max period.
const defaultCPUPeriod = 100000

// Files returns the cgroup v2 files and values the flags ask for, keyed by
// file name (memory.max, cpu.max, io.max...). An empty map means no limit
// was asked for. Every error names the flag and what it wants.
func (f Flags) Files() (map[string]string, error) {
	files := map[string]string{}
	if err := f.memory(files); err != nil {
		return nil, err
	}
	if err := f.cpu(files); err != nil {
		return nil, err
	}
	for _, c := range []struct{ flag, value, file string }{
		{"--cpuset-cpus", f.CpusetCPUs, "cpuset.cpus"},
		{"--cpuset-mems", f.CpusetMems, "cpuset.mems"},
	} {
		if c.value == "" {
			continue
		}
		if err := checkCPUList(c.value); err != nil {
			return nil, fmt.Errorf("%s %s: %w", c.flag, c.value, err)
		}
		files[c.file] = c.value
	}
	switch {
	case f.PidsLimit > 0:
		files["pids.max"] = strconv.FormatInt(f.PidsLimit, 10)
	case f.PidsLimit < 0:
		files["pids.max"] = "max"
	}
	if f.BlkioWeight != 0 {
		if f.BlkioWeight < 10 || f.BlkioWeight > 1000 {
			return nil, fmt.Errorf("--blkio-weight %d: give a weight from 10 to 1000", f.BlkioWeight)
		}
		// io.weight runs from 1 to 10000 where blkio.weight ran from 10
		// to 1000: the same range, stretched.
		files["io.weight"] = "default " + strconv.Itoa(1+(int(f.BlkioWeight)-10)*9999/990)
	}
	io, err := f.ioMax()
	if err != nil {
		return nil, err
	}
	if io != "" {
		files["io.max"] = io
	}
	return files, nil
}

func (f Flags) memory(files map[string]string) error {
	mem, err := bytesFlag("--memory", f.Memory)
	if err != nil {
		return err
	}
	if mem > 0 && mem < minMemory {
		return fmt.Errorf("--memory %s: the smallest memory limit is 6MB", f.Memory)
	}
	if mem > 0 {
		files["memory.max"] = strconv.FormatInt(mem, 10)
	}
	res, err := bytesFlag("--memory-reservation", f.MemoryReservation)
	if err != nil {
		return err
	}
	if res > 0 {
		if mem > 0 && res > mem {
			return fmt.Errorf("--memory-reservation %s: it must be smaller than --memory %s", f.MemoryReservation, f.Memory)
		}
		files["memory.low"] = strconv.FormatInt(res, 10)
	}
	switch f.MemorySwap {
	case "":
		// Docker: as much swap as memory.
		if mem > 0 {
			files["memory.swap.max"] = strconv.FormatInt(mem, 10)
		}
	case "-1":
		files["memory.swap.max"] = "max"
	default:
		swap, err := bytesFlag("--memory-swap", f.MemorySwap)
		if err != nil {
			return err
		}
		if mem == 0 {
			return fmt.Errorf("--memory-swap %s: it is memory and swap together, so give --memory too", f.MemorySwap)
		}
		if swap < mem {
			return fmt.Errorf("--memory-swap %s: it is memory and swap together and must be at least --memory %s (or -1 for no limit)", f.MemorySwap, f.Memory)
		}
		files["memory.swap.max"] = strconv.FormatInt(swap-mem, 10)
	}
	return nil
}

func (f Flags) cpu(files map[string]string) error {
	if f.CPUs != "" && (f.CPUPeriod != 0 || f.CPUQuota != 0) {
		return fmt.Errorf("--cpus and --cpu-period/--cpu-quota say the same thing twice: give one of them")
	}
	switch {
	case f.CPUs != "":
		cpus, err := strconv.ParseFloat(f.CPUs, 64)
		if err != nil || cpus <= 0 || math.IsInf(cpus, 0) || math.IsNaN(cpus) {
			return fmt.Errorf("--cpus %s: give a positive number of CPUs, such as 0.5 or 2", f.CPUs)
		}
		if max := float64(runtime.NumCPU()); cpus > max {
			return fmt.Errorf("--cpus %s: this machine has %.0f CPUs", f.CPUs, max)
		}
		files["cpu.max"] = fmt.Sprintf("%d %d", int64(math.Round(cpus*defaultCPUPeriod)), defaultCPUPeriod)
	case f.CPUQuota != 0 || f.CPUPeriod != 0:
		period := f.CPUPeriod
		if period == 0 {
			period = defaultCPUPeriod
		}
		if period < 1000 || period > 1000000 {
			return fmt.Errorf("--cpu-period %d: give a period from 1000 to 1000000 microseconds", f.CPUPeriod)
		}
		quota := "max"
		if f.CPUQuota > 0 {
			if f.CPUQuota < 1000 {
				return fmt.Errorf("--cpu-quota %d: give at least 1000 microseconds, or -1 for no limit", f.CPUQuota)
			}
			quota = strconv.FormatInt(f.CPUQuota, 10)
		}
		files["cpu.max"] = fmt.Sprintf("%s %d", quota, period)
	}
	if f.CPUShares != 0 {
		if f.CPUShares < 2 || f.CPUShares > 262144 {
			return fmt.Errorf("--cpu-shares %d: give shares from 2 to 262144 (1024 is the default)", f.CPUShares)
		}
		files["cpu.weight"] = strconv.FormatUint(SharesToWeight(uint64(f.CPUShares)), 10)
	}
	return nil
}

// SharesToWeight maps cgroup v1 cpu.shares (2 to 262144) onto cgroup v2
// cpu.weight (1 to 10000) as current crun does: on a log scale that keeps
// the ends and sends the default 1024 to the default 100 (the linear map
// of runc sends it to 39, below the weight of every other process).
func SharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exponent := (l*l+125*l)/612 - 7.0/34
	return uint64(math.Ceil(math.Pow(10, exponent)))
}

// ioMax builds io.max: one line per device, "MAJ:MIN rbps=N wbps=N
// riops=N wiops=N" with the keys given.
func (f Flags) ioMax() (string, error) {
	perDevice := map[string][]string{}
	for _, c := range []struct {
		flag, key string
		values    []string
		bytes     bool
	}{
		{"--device-read-bps", "rbps", f.DeviceReadBps, true},
		{"--device-write-bps", "wbps", f.DeviceWriteBps, true},
		{"--device-read-iops", "riops", f.DeviceReadIOps, false},
		{"--device-write-iops", "wiops", f.DeviceWriteIOps, false},
	} {
		for _, v := range c.values {
			dev, rate, ok := strings.Cut(v, ":")
			if !ok || dev == "" || rate == "" {
				return "", fmt.Errorf("%s %s: want DEVICE:RATE, such as /dev/sda:1mb", c.flag, v)
			}
			var n int64
			var err error
			if c.bytes {
				n, err = units.RAMInBytes(rate)
			} else {
				n, err = strconv.ParseInt(rate, 10, 64)
			}
			if err != nil || n <= 0 {
				return "", fmt.Errorf("%s %s: %q is not a positive rate", c.flag, v, rate)
			}
			id, err := blockDevice(dev)
			if err != nil {
				return "", fmt.Errorf("%s %s: %w", c.flag, v, err)
			}
			perDevice[id] = append(perDevice[id], c.key+"="+strconv.FormatInt(n, 10))
		}
	}
	var lines []string
	for id, limits := range perDevice {
		lines = append(lines, id+" "+strings.Join(limits, " "))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n"), nil
}

// blockDevice returns "MAJ:MIN" of a block device node.
func blockDevice(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return "", fmt.Errorf("%s is not a block device", path)
	}
	return fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev)), nil
}

func bytesFlag(flag, v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	n, err := units.RAMInBytes(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %s: give a size such as 512m or 2g", flag, v)
	}
	return n, nil
}

// checkCPUList checks the kernel's list syntax: "0-3,5,7-8".
func checkCPUList(s string) error {
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.ParseUint(lo, 10, 16)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.ParseUint(hi, 10, 16)
		}
		if err1 != nil || err2 != nil || b < a {
			return fmt.Errorf("%q is not a list such as 0-3,5", s)
		}
	}
	return nil
}
