package cgroupv2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Choose must not depend on who runs the unit tests: they play a user
// unless a test says otherwise.
func init() {
	rootV1 = func() (bool, error) { return false, nil }
}

func playRootV1(t *testing.T, why error) {
	t.Helper()
	old := rootV1
	rootV1 = func() (bool, error) { return true, why }
	t.Cleanup(func() { rootV1 = old })
}

func TestV1HierarchiesAreFoundInMountinfo(t *testing.T) {
	for _, c := range []struct {
		name      string
		mountinfo string
		want      V1Mounts
	}{
		{"one controller per hierarchy, as on this host", `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`,
			V1Mounts{"cpu": "/sys/fs/cgroup/cpu", "cpuacct": "/sys/fs/cgroup/cpuacct", "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"}},
		{"co-mounted cpu,cpuacct and net_cls,net_prio, with optional fields", `25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,cpu,cpuacct
26 24 0:23 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid shared:9 - cgroup cgroup rw,net_cls,net_prio
27 24 0:24 / /sys/fs/cgroup/memory rw,nosuid shared:10 - cgroup cgroup rw,memory,clone_children
28 24 0:25 / /sys/fs/cgroup/cpuset rw shared:11 - cgroup cgroup rw,cpuset,release_agent=/x`,
			V1Mounts{"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "net_cls": "/sys/fs/cgroup/net_cls,net_prio", "net_prio": "/sys/fs/cgroup/net_cls,net_prio", "memory": "/sys/fs/cgroup/memory", "cpuset": "/sys/fs/cgroup/cpuset"}},
		{"the first mount of a hierarchy wins, escapes undone", `31 30 0:28 / /sys/fs/cgroup/my\040memory rw - cgroup cgroup rw,memory
90 30 0:28 / /mnt/again rw - cgroup cgroup rw,memory`,
			V1Mounts{"memory": "/sys/fs/cgroup/my memory"}},
		{"a pure cgroup v2 host has none", `30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate`, V1Mounts{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, parseV1Mounts([]byte(c.mountinfo)))
		})
	}
}

func TestAContainersV1DirectoriesAreFoundFromItsRecordedOne(t *testing.T) {
	m := V1Mounts{"cpu": "/sys/fs/cgroup/cpu,cpuacct", "cpuacct": "/sys/fs/cgroup/cpu,cpuacct", "memory": "/sys/fs/cgroup/memory", "pids": "/sys/fs/cgroup/pids"}
	point, rel, ok := m.hierarchyOf("/sys/fs/cgroup/memory/urun/urun-abc")
	require.True(t, ok)
	assert.Equal(t, "/sys/fs/cgroup/memory", point)
	assert.Equal(t, "/urun/urun-abc", rel)
	assert.Equal(t, "/sys/fs/cgroup/cpu,cpuacct/urun/urun-abc", m.dirOf("cpuacct", rel))
	assert.Equal(t, "", m.dirOf("freezer", rel), "a controller not mounted has no directory")
	assert.Equal(t, []string{"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory"}, m.points([]string{"memory", "cpu", "cpuacct", "freezer"}))
	_, _, ok = m.hierarchyOf("/sys/fs/cgroup/memoryx/urun")
	assert.False(t, ok, "a prefix of a name is not its hierarchy")
}

func TestV2LimitFilesBecomeTheirV1Counterparts(t *testing.T) {
	all := func(string, string) bool { return true }
	noSwapAccounting := func(_, file string) bool { return file != "memory.memsw.limit_in_bytes" }
	bfqOnly := func(_, file string) bool { return file != "blkio.weight" }
	for _, c := range []struct {
		name  string
		files map[string]string
		has   func(controller, file string) bool
		want  []v1Write
	}{
		{"--memory 32m (with Docker's as much swap)", map[string]string{"memory.max": "33554432", "memory.swap.max": "33554432"}, all,
			[]v1Write{{"memory", "memory.limit_in_bytes", "33554432"}, {"memory", "memory.memsw.limit_in_bytes", "67108864"}}},
		{"--memory 32m without swap accounting", map[string]string{"memory.max": "33554432", "memory.swap.max": "33554432"}, noSwapAccounting,
			[]v1Write{{"memory", "memory.limit_in_bytes", "33554432"}}},
		{"--memory-swap -1", map[string]string{"memory.max": "33554432", "memory.swap.max": "max"}, all,
			[]v1Write{{"memory", "memory.limit_in_bytes", "33554432"}, {"memory", "memory.memsw.limit_in_bytes", "-1"}}},
		{"--memory-reservation", map[string]string{"memory.low": "16777216"}, all,
			[]v1Write{{"memory", "memory.soft_limit_in_bytes", "16777216"}}},
		{"--memory-reservation lifted by update", map[string]string{"memory.low": "0"}, all,
			[]v1Write{{"memory", "memory.soft_limit_in_bytes", "-1"}}},
		{"--cpus 0.5", map[string]string{"cpu.max": "50000 100000"}, all,
			[]v1Write{{"cpu", "cpu.cfs_period_us", "100000"}, {"cpu", "cpu.cfs_quota_us", "50000"}}},
		{"--cpu-period alone", map[string]string{"cpu.max": "max 50000"}, all,
			[]v1Write{{"cpu", "cpu.cfs_period_us", "50000"}, {"cpu", "cpu.cfs_quota_us", "-1"}}},
		{"--cpus lifted by update", map[string]string{"cpu.max": "max"}, all,
			[]v1Write{{"cpu", "cpu.cfs_quota_us", "-1"}}},
		{"--cpu-shares 1024", map[string]string{"cpu.weight": "100"}, all,
			[]v1Write{{"cpu", "cpu.shares", "1024"}}},
		{"--pids-limit 10", map[string]string{"pids.max": "10"}, all, []v1Write{{"pids", "pids.max", "10"}}},
		{"--pids-limit -1", map[string]string{"pids.max": "max"}, all, []v1Write{{"pids", "pids.max", "max"}}},
		{"--cpuset-cpus and --cpuset-mems", map[string]string{"cpuset.cpus": "0-1", "cpuset.mems": "0"}, all,
			[]v1Write{{"cpuset", "cpuset.cpus", "0-1"}, {"cpuset", "cpuset.mems", "0"}}},
		{"--blkio-weight 1000 with CFQ", map[string]string{"io.weight": "default 10000"}, all, []v1Write{{"blkio", "blkio.weight", "1000"}}},
		{"--blkio-weight 10 with BFQ", map[string]string{"io.weight": "default 1"}, bfqOnly, []v1Write{{"blkio", "blkio.bfq.weight", "10"}}},
		{"--blkio-weight 500", map[string]string{"io.weight": "default 4950"}, all, []v1Write{{"blkio", "blkio.weight", "500"}}},
		{"--device-read-bps and --device-write-iops", map[string]string{"io.max": "8:0 rbps=1048576 wiops=100\n8:16 wbps=2"}, all,
			[]v1Write{{"blkio", "blkio.throttle.read_bps_device", "8:0 1048576"}, {"blkio", "blkio.throttle.write_iops_device", "8:0 100"}, {"blkio", "blkio.throttle.write_bps_device", "8:16 2"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := translateV1(c.files, c.has)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestV2LimitsWithoutAV1CounterpartAreRefusedWithTheReason(t *testing.T) {
	none := func(string, string) bool { return false }
	for _, c := range []struct {
		name  string
		files map[string]string
		msg   string
	}{
		{"--memory-swap without swap accounting", map[string]string{"memory.max": "33554432", "memory.swap.max": "1"}, "swapaccount=1"},
		{"--blkio-weight without CFQ or BFQ", map[string]string{"io.weight": "default 500"}, "--blkio-weight: this host's cgroup v1 blkio controller has no proportional weight"},
		{"memory.high", map[string]string{"memory.high": "1"}, "memory.high has no cgroup v1 counterpart urun knows: it needs cgroup v2"},
		{"hugetlb", map[string]string{"hugetlb.2MB.max": "0"}, "needs cgroup v2"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := translateV1(c.files, none)
			assert.ErrorContains(t, err, c.msg)
		})
	}
}

func TestCPUSharesSurviveTheTripThroughCPUWeight(t *testing.T) {
	for _, c := range []struct{ shares, want uint64 }{{2, 2}, {1024, 1024}, {262144, 262144}} {
		assert.Equal(t, c.want, WeightToShares(SharesToWeight(c.shares)), "shares %d", c.shares)
	}
	// Below some 100 shares a weight step spans many shares: only the
	// order of magnitude comes back there.
	for _, shares := range []uint64{100, 512, 2048, 5000, 100000} {
		got := WeightToShares(SharesToWeight(shares))
		assert.InEpsilon(t, shares, got, 0.1, "shares %d came back as %d", shares, got)
	}
}

func TestRootOnAV1HostGetsTheV1Manager(t *testing.T) {
	hybrid := Host{Mode: Hybrid}
	for _, c := range []struct {
		name string
		req  Request
		why  error
		want string
		msg  string
	}{
		{"limits", Request{Limits: true}, nil, ManagerCgroupfsV1, ""},
		{"no limits: a cgroup for stats and pause all the same", Request{}, nil, ManagerCgroupfsV1, ""},
		{"--cgroup-manager cgroupfs", Request{Manager: ManagerCgroupfs, Limits: true}, nil, ManagerCgroupfsV1, ""},
		{"--cgroup-manager systemd", Request{Manager: ManagerSystemd}, nil, "", "--cgroup-manager systemd: this host has hybrid cgroups"},
		{"limits without a memory hierarchy", Request{Limits: true}, os.ErrNotExist, "", "root's limits there need the v1 controllers memory, pids and cpu"},
		{"no limits and no memory hierarchy: no cgroup", Request{}, os.ErrNotExist, ManagerNone, ""},
		{"--cgroups=disabled", Request{Disabled: true}, nil, ManagerNone, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			playRootV1(t, c.why)
			got, err := Choose(c.req, hybrid)
			if c.msg != "" {
				assert.ErrorContains(t, err, c.msg)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestAUserOnAV1HostIsStillRefused(t *testing.T) {
	_, err := Choose(Request{Limits: true}, Host{Mode: Hybrid})
	assert.ErrorContains(t, err, "rootless limits need cgroup v2")
}

func TestANewCpusetCgroupGetsItsParentsCPUsAndNodes(t *testing.T) {
	parent := t.TempDir()
	writeFiles(t, parent, map[string]string{"cpuset.cpus": "0-3\n", "cpuset.mems": "0\n"})
	child := filepath.Join(parent, "urun-x")
	require.NoError(t, os.Mkdir(child, 0o755))
	writeFiles(t, child, map[string]string{"cpuset.cpus": "\n", "cpuset.mems": "1"})
	require.NoError(t, inheritCpuset(child))
	for name, want := range map[string]string{"cpuset.cpus": "0-3", "cpuset.mems": "1"} {
		got, err := os.ReadFile(filepath.Join(child, name))
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
	assert.NoError(t, inheritCpuset(t.TempDir()), "another controller's directory is left alone")
}

func TestV1UsageFiguresAreRead(t *testing.T) {
	read, write := blkioServiceBytes("8:0 Read 4096\n8:0 Write 512\n8:0 Sync 1\n8:16 Read 1\nTotal 4609\n")
	assert.Equal(t, []uint64{4097, 512}, []uint64{read, write})

	root := t.TempDir()
	m := V1Mounts{}
	for _, c := range []string{"memory", "cpuacct", "pids"} {
		m[c] = filepath.Join(root, c)
		require.NoError(t, os.MkdirAll(filepath.Join(m[c], "urun", "urun-x"), 0o755))
	}
	writeFiles(t, filepath.Join(m["memory"], "urun", "urun-x"), map[string]string{"memory.usage_in_bytes": "10000\n", "memory.stat": "cache 1\ntotal_inactive_file 3000\n", "memory.limit_in_bytes": "9223372036854771712\n"})
	writeFiles(t, filepath.Join(m["cpuacct"], "urun", "urun-x"), map[string]string{"cpuacct.usage": "5000000\n"})
	writeFiles(t, filepath.Join(m["pids"], "urun", "urun-x"), map[string]string{"pids.current": "3\n"})
	u := readUsageV1(m, "/urun/urun-x")
	assert.Equal(t, Usage{CPUUsec: 5000, CPUOK: true, Memory: 7000, MemoryOK: true, PIDs: 3, PIDsOK: true}, u, "no memory limit reads 0")
}

func TestAV1ContainerIsFrozenThroughTheFreezer(t *testing.T) {
	root := t.TempDir()
	m := V1Mounts{"freezer": root}
	writeFiles(t, root, map[string]string{"freezer.state": "THAWED\n"})
	require.NoError(t, setFrozenV1(m, "/", true))
	frozen, err := frozenV1(m, "/")
	require.NoError(t, err)
	assert.True(t, frozen)
	assert.ErrorContains(t, setFrozenV1(V1Mounts{}, "/", true), "freezer")
}
