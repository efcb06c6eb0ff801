package cgroupv2

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestDockerFlagsBecomeCgroupV2Files(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags Flags
		want  map[string]string
	}{
		{"nothing asked", Flags{}, map[string]string{}},
		{"-m 32m gives as much swap as memory, as Docker", Flags{Memory: "32m"}, map[string]string{"memory.max": "33554432", "memory.swap.max": "33554432"}},
		{"--memory-swap is memory and swap together", Flags{Memory: "32m", MemorySwap: "64m"}, map[string]string{"memory.max": "33554432", "memory.swap.max": "33554432"}},
		{"--memory-swap equal to memory: no swap", Flags{Memory: "1g", MemorySwap: "1g"}, map[string]string{"memory.max": "1073741824", "memory.swap.max": "0"}},
		{"--memory-swap -1: no swap limit", Flags{Memory: "32m", MemorySwap: "-1"}, map[string]string{"memory.max": "33554432", "memory.swap.max": "max"}},
		{"--memory-reservation", Flags{MemoryReservation: "16m"}, map[string]string{"memory.low": "16777216"}},
		{"--cpus 0.5", Flags{CPUs: "0.5"}, map[string]string{"cpu.max": "50000 100000"}},
		{"--cpu-quota and --cpu-period", Flags{CPUQuota: 25000, CPUPeriod: 50000}, map[string]string{"cpu.max": "25000 50000"}},
		{"--cpu-quota alone", Flags{CPUQuota: 20000}, map[string]string{"cpu.max": "20000 100000"}},
		{"--cpu-quota -1", Flags{CPUQuota: -1, CPUPeriod: 200000}, map[string]string{"cpu.max": "max 200000"}},
		{"--cpu-shares 1024 is the default weight", Flags{CPUShares: 1024}, map[string]string{"cpu.weight": "100"}},
		{"--cpu-shares 2 is the least weight", Flags{CPUShares: 2}, map[string]string{"cpu.weight": "1"}},
		{"--cpu-shares 262144 is the most weight", Flags{CPUShares: 262144}, map[string]string{"cpu.weight": "10000"}},
		{"--cpuset-cpus and --cpuset-mems", Flags{CpusetCPUs: "0-1,3", CpusetMems: "0"}, map[string]string{"cpuset.cpus": "0-1,3", "cpuset.mems": "0"}},
		{"--pids-limit", Flags{PidsLimit: 20}, map[string]string{"pids.max": "20"}},
		{"--pids-limit -1", Flags{PidsLimit: -1}, map[string]string{"pids.max": "max"}},
		{"--blkio-weight 500", Flags{BlkioWeight: 500}, map[string]string{"io.weight": "default 4950"}},
		{"--blkio-weight 10 and 1000 are the ends", Flags{BlkioWeight: 1000}, map[string]string{"io.weight": "default 10000"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.flags.Files()
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestDeviceRatesBecomeOneIOMaxLinePerDevice(t *testing.T) {
	dev := aBlockDevice(t)
	var st unix.Stat_t
	require.NoError(t, unix.Stat(dev, &st))
	id := fmt.Sprintf("%d:%d", unix.Major(st.Rdev), unix.Minor(st.Rdev))
	got, err := Flags{DeviceReadBps: []string{dev + ":1mb"}, DeviceWriteIOps: []string{dev + ":100"}}.Files()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"io.max": id + " rbps=1048576 wiops=100"}, got)
}

func TestBadResourceFlagsNameTheFlagAndTheFix(t *testing.T) {
	for _, c := range []struct {
		name  string
		flags Flags
		msg   string
	}{
		{"memory too small", Flags{Memory: "1m"}, "--memory 1m: the smallest memory limit is 6MB"},
		{"memory not a size", Flags{Memory: "lots"}, "--memory lots: give a size such as 512m"},
		{"swap below memory", Flags{Memory: "64m", MemorySwap: "32m"}, "must be at least --memory 64m"},
		{"swap without memory", Flags{MemorySwap: "64m"}, "give --memory too"},
		{"reservation above memory", Flags{Memory: "32m", MemoryReservation: "64m"}, "must be smaller than --memory"},
		{"cpus and quota", Flags{CPUs: "1", CPUQuota: 50000}, "give one of them"},
		{"cpus not a number", Flags{CPUs: "half"}, "--cpus half: give a positive number"},
		{"more cpus than the machine", Flags{CPUs: fmt.Sprint(runtime.NumCPU() + 1)}, "this machine has"},
		{"period out of range", Flags{CPUPeriod: 10}, "--cpu-period 10"},
		{"quota too small", Flags{CPUQuota: 10}, "--cpu-quota 10"},
		{"shares out of range", Flags{CPUShares: 1}, "--cpu-shares 1"},
		{"cpuset syntax", Flags{CpusetCPUs: "3-1"}, `--cpuset-cpus 3-1: "3-1" is not a list`},
		{"blkio weight out of range", Flags{BlkioWeight: 5}, "--blkio-weight 5: give a weight from 10 to 1000"},
		{"device rate without a device", Flags{DeviceReadBps: []string{"1mb"}}, "want DEVICE:RATE"},
		{"device rate of a file", Flags{DeviceReadBps: []string{"/etc/passwd:1mb"}}, "/etc/passwd is not a block device"},
		{"device rate not a number", Flags{DeviceReadIOps: []string{"/dev/null:fast"}}, `"fast" is not a positive rate`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.flags.Files()
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

// aBlockDevice finds a block device node on this host.
func aBlockDevice(t *testing.T) string {
	for _, p := range []string{"/dev/vda", "/dev/sda", "/dev/nvme0n1", "/dev/loop0"} {
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFBLK {
			return p
		}
	}
	t.Fatal("no block device on this host to take as an example")
	return ""
}

func TestSizeAndCPUsFlagsRefuseEmptyAndMalformedValues(t *testing.T) {
	var mem, swap, cpus string
	for _, bad := range []string{"", "lots", "-1", "0"} {
		assert.Error(t, SizeValue(&mem, false).Set(bad), "--memory %q", bad)
	}
	require.NoError(t, SizeValue(&mem, false).Set("512m"))
	assert.Equal(t, "512m", mem)
	require.NoError(t, SizeValue(&swap, true).Set("-1"), "--memory-swap -1 is no limit")
	for _, bad := range []string{"", "two", "-1", "0", "NaN"} {
		assert.Error(t, CPUsValue(&cpus).Set(bad), "--cpus %q", bad)
	}
	require.NoError(t, CPUsValue(&cpus).Set("0.5"))
	assert.Equal(t, "0.5", cpus)
}
