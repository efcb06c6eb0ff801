package main

import (
	"github.com/spf13/pflag"

	"github.com/urun/urun/cgroupv2"
)

// resourceFlags are Docker's resource limit flags and urun's cgroup
// choices, shared by `urun run` and `urun create`.
type resourceFlags struct {
	limits                           cgroupv2.Flags
	cgroupManager, cgroups, cgroupNS string
}

func addResourceFlags(fl *pflag.FlagSet, f *resourceFlags) {
	l := &f.limits
	addLimitFlags(fl, l, "memory and swap together (default: twice --memory; -1 for no swap limit)")
	fl.StringArrayVar(&l.DeviceReadBps, "device-read-bps", nil, "read rate limit of a device: DEVICE:RATE such as /dev/sda:1mb (io.max)")
	fl.StringArrayVar(&l.DeviceWriteBps, "device-write-bps", nil, "write rate limit of a device: DEVICE:RATE (io.max)")
	fl.StringArrayVar(&l.DeviceReadIOps, "device-read-iops", nil, "read operations per second of a device: DEVICE:N (io.max)")
	fl.StringArrayVar(&l.DeviceWriteIOps, "device-write-iops", nil, "write operations per second of a device: DEVICE:N (io.max)")
	fl.StringVar(&f.cgroupManager, "cgroup-manager", "", "how the container gets its cgroup: systemd (a scope from your systemd user manager; for root, from the system's, in machine.slice), cgroupfs (a child of urun's delegated cgroup; for root, of /sys/fs/cgroup/urun, or on a cgroup v1 host urun/ID in each v1 hierarchy) or none (default: cgroupfs in a delegated cgroup, else for root cgroupfs, else systemd when reachable; a user's limits need cgroup v2)")
	fl.StringVar(&f.cgroups, "cgroups", "enabled", "enabled, or disabled: no cgroup of the container's own")
	fl.StringVar(&f.cgroupNS, "cgroupns", "private", "private: a cgroup namespace of its own, its own cgroup at /sys/fs/cgroup; host: the host's, and the host's hierarchy bound read-only (with a cgroup of its own only)")
}

// options checks the cgroup choices.
func (f *resourceFlags) options() (cgroupv2.Flags, cgroupv2.Options, error) {
	o, err := cgroupv2.ParseOptions(f.cgroupManager, f.cgroups, f.cgroupNS)
	return f.limits, o, err
}

// addLimitFlags adds the cgroup limit flags `run`, `create` and `update`
// share. Sizes and --cpus are checked as they are parsed, as Docker's are.
func addLimitFlags(fl *pflag.FlagSet, l *cgroupv2.Flags, memorySwapHelp string) {
	fl.VarP(cgroupv2.SizeValue(&l.Memory, false), "memory", "m", "memory limit (memory.max), such as 512m or 2g")
	fl.Var(cgroupv2.SizeValue(&l.MemoryReservation, false), "memory-reservation", "memory the container is meant to keep under pressure (memory.low)")
	fl.Var(cgroupv2.SizeValue(&l.MemorySwap, true), "memory-swap", memorySwapHelp)
	fl.Var(cgroupv2.CPUsValue(&l.CPUs), "cpus", "number of CPUs, such as 0.5 (cpu.max)")
	fl.Int64Var(&l.CPUPeriod, "cpu-period", 0, "CPU period in microseconds (cpu.max)")
	fl.Int64Var(&l.CPUQuota, "cpu-quota", 0, "CPU time per period in microseconds (cpu.max)")
	fl.Int64VarP(&l.CPUShares, "cpu-shares", "c", 0, "relative CPU weight, 1024 the default (cpu.weight)")
	fl.StringVar(&l.CpusetCPUs, "cpuset-cpus", "", "CPUs the container may run on, such as 0-3,5")
	fl.StringVar(&l.CpusetMems, "cpuset-mems", "", "memory nodes the container may use, such as 0")
	fl.Int64Var(&l.PidsLimit, "pids-limit", 0, "most processes at once (pids.max; -1 for no limit)")
	fl.Uint16Var(&l.BlkioWeight, "blkio-weight", 0, "relative block IO weight, 10 to 1000 (io.weight)")
}
