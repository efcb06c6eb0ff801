package containers

import (
	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
)

// userHZ is the unit of /proc/stat's times: USER_HZ, 100 on Linux.
const userHZ = 100

// readCgroupUsage puts in u the figures the container's cgroup (at path)
// has; those of a controller it was not given stay /proc's.
func readCgroupUsage(u *Usage, path string) {
	cg, err := cgroupv2.ReadUsage(cgroupv2.Dir(path))
	if err != nil {
		return // it ended: /proc's figures are as good as any
	}
	u.Cgroup = true
	if cg.CPUOK {
		u.CPUTicks = cg.CPUUsec
		u.SystemTicks = u.SystemTicks * (1_000_000 / userHZ)
	}
	if cg.MemoryOK {
		u.Memory, u.MemoryLimit = cg.Memory, cg.MemoryMax
		if u.MemoryLimit == 0 {
			u.MemoryLimit, _ = hostMemory()
		}
	}
	if cg.PIDsOK {
		u.PIDs = int(cg.PIDs)
	}
	if cg.BlockOK {
		u.BlockRead, u.BlockWrite, u.BlockOK = cg.BlockRead, cg.BlockWrite, true
	}
}

// hostMemory is the host's RAM, the limit Docker shows for a container
// without one.
func hostMemory() (uint64, error) {
	var si unix.Sysinfo_t
	if err := unix.Sysinfo(&si); err != nil {
		return 0, err
	}
	return uint64(si.Totalram) * uint64(si.Unit), nil
}
