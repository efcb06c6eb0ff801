package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Root's limits on a cgroup v1 or hybrid host (issue 18): urun makes
// urun/urun-ID in each v1 hierarchy, as Docker's cgroupfs driver does.

// rootOnV1 skips unless the test runs as root on a host whose /sys/fs/cgroup
// is not cgroup v2 (this test bed; the TestVM* tests cover v2).
func rootOnV1(t *testing.T) *env {
	t.Helper()
	skipUnlessRoot(t)
	notCgroupV2(t)
	if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err != nil {
		t.Skip("no cgroup v1 memory controller at /sys/fs/cgroup/memory")
	}
	return newEnvWith(t, envOptions{explicitRoot: true})
}

// v1Dirs are the container's cgroup directories in the v1 hierarchies.
func v1Dirs(t *testing.T, id string) []string {
	t.Helper()
	dirs, err := filepath.Glob("/sys/fs/cgroup/*/urun/urun-" + id)
	require.NoError(t, err)
	return dirs
}

func readTrimmed(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return strings.TrimSpace(string(data))
}

func TestAsRootMemoryLimitOnV1KillsAndInspectSaysOOMKilled(t *testing.T) {
	e := rootOnV1(t)
	// dd's 128 MiB buffer fits in neither 32 MiB of memory nor the 64 MiB
	// of memory and swap (memory.memsw.limit_in_bytes).
	res := e.urun(t, "run", "--name", "oom", "-m", "32m", busyboxRef, "dd", "if=/dev/zero", "of=/dev/null", "bs=128M", "count=1")
	t.Cleanup(func() { e.urun(t, "rm", "-f", "oom") })
	assert.Equal(t, 137, res.code, res.describe())
	out := e.urun(t, "inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom").ok(t)
	assert.Equal(t, "true 137\n", out)
}

func TestAsRootLimitsOnV1ShowInTheContainersCgroups(t *testing.T) {
	e := rootOnV1(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "--cpu-shares", "512", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	find := func(controller, file string) string {
		for _, dir := range v1Dirs(t, id) {
			if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
				return readTrimmed(t, filepath.Join(dir, file))
			}
		}
		t.Fatalf("no %s cgroup of container %s has %s", controller, id, file)
		return ""
	}
	assert.Equal(t, "67108864", find("memory", "memory.limit_in_bytes"))
	assert.Equal(t, "50000", find("cpu", "cpu.cfs_quota_us"), "--cpus 0.5")
	assert.Equal(t, "100000", find("cpu", "cpu.cfs_period_us"))
	assert.Equal(t, "50", find("pids", "pids.max"))
	shares, err := strconv.Atoi(find("cpu", "cpu.shares"))
	require.NoError(t, err)
	assert.InEpsilon(t, 512, shares, 0.1, "--cpu-shares 512 through cpu.weight and back")

	// The container's processes are in them, and see them at
	// /sys/fs/cgroup/CONTROLLER, rooted at their own cgroup; so does an
	// exec'd one.
	out := e.urun(t, "exec", id, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us; grep -x $$ /sys/fs/cgroup/pids/cgroup.procs >/dev/null && echo listed").ok(t)
	assert.Regexp(t, `(?m)^[0-9]+:memory:/$`, out)
	assert.Contains(t, out, "\n67108864\n50000\nlisted\n", out)
	for _, dir := range v1Dirs(t, id) {
		procs := readTrimmed(t, filepath.Join(dir, "cgroup.procs"))
		assert.NotEmpty(t, procs, "%s holds the container's processes", dir)
	}

	// urun update writes the v1 files.
	e.urun(t, "update", "--memory", "128m", "--pids-limit", "60", id).ok(t)
	assert.Equal(t, "134217728", find("memory", "memory.limit_in_bytes"))
	assert.Equal(t, "60", find("pids", "pids.max"))
}

func TestAsRootPidsLimitOnV1ContainsAForkBomb(t *testing.T) {
	e := rootOnV1(t)
	// The bomb runs in a subshell, which ends when a fork fails; the
	// container goes on.
	script := `(for i in $(seq 60); do sleep 30 & done) 2>/dev/null; sleep 30`
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--pids-limit", "10", busyboxRef, "sh", "-c", script).ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	var pids string
	assert.Eventually(t, func() bool {
		for _, dir := range v1Dirs(t, id) {
			if strings.HasPrefix(dir, "/sys/fs/cgroup/pids/") {
				pids = readTrimmed(t, filepath.Join(dir, "pids.events"))
				return strings.Contains(pids, "max ") && pids != "max 0"
			}
		}
		return false
	}, 10*time.Second, 100*time.Millisecond, "pids.events counts forks refused at the limit")
	for _, dir := range v1Dirs(t, id) {
		if strings.HasPrefix(dir, "/sys/fs/cgroup/pids/") {
			n, err := strconv.Atoi(readTrimmed(t, filepath.Join(dir, "pids.current")))
			require.NoError(t, err)
			assert.LessOrEqual(t, n, 10, "pids.current never passes pids.max")
		}
	}
}

func TestAsRootLeavesNoV1CgroupBehind(t *testing.T) {
	e := rootOnV1(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--rm", "-m", "32m", "--cpuset-cpus", "0", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	dirs := v1Dirs(t, id)
	var controllers []string
	for _, d := range dirs {
		controllers = append(controllers, strings.Split(d, "/")[4])
	}
	for _, c := range []string{"memory", "pids", "cpu", "cpuacct", "freezer", "cpuset", "devices", "blkio"} {
		assert.Contains(t, controllers, c, "the container has a cgroup in %s", c)
	}
	assert.Equal(t, "0", readTrimmed(t, "/sys/fs/cgroup/cpuset/urun/urun-"+id+"/cpuset.cpus"))
	e.urun(t, "stop", "-t", "1", id).ok(t)
	assert.Eventually(t, func() bool { return len(v1Dirs(t, id)) == 0 }, 10*time.Second, 100*time.Millisecond, "no urun-ID directory is left in any hierarchy: %v", v1Dirs(t, id))
	// A container without limits gets its cgroups too, and leaves none.
	out := e.urun(t, "run", "--rm", busyboxRef, "cat", "/proc/self/cgroup").ok(t)
	assert.Regexp(t, `:memory:/`, out)
	left, err := filepath.Glob("/sys/fs/cgroup/*/urun/urun-*")
	require.NoError(t, err)
	for _, dir := range left {
		assert.NotContains(t, dir, id)
	}
}

func TestAsRootStatsAndPauseOnV1(t *testing.T) {
	e := rootOnV1(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "64m", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	out := e.urun(t, "stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", id).ok(t)
	assert.Contains(t, out, "/ 64MiB", "the memory limit is memory.limit_in_bytes")

	e.urun(t, "pause", id).ok(t)
	var freezer string
	for _, d := range v1Dirs(t, id) {
		if strings.HasPrefix(d, "/sys/fs/cgroup/freezer/") {
			freezer = d
		}
	}
	require.NotEmpty(t, freezer, "the container has a freezer cgroup")
	assert.Equal(t, "FROZEN", readTrimmed(t, filepath.Join(freezer, "freezer.state")))
	e.urun(t, "unpause", id).ok(t)
	assert.Equal(t, "THAWED", readTrimmed(t, filepath.Join(freezer, "freezer.state")))
	e.urun(t, "exec", id, "true").ok(t)
}

func TestAsRootOnV1RefusesTheSystemdManagerAndACgroupParent(t *testing.T) {
	e := rootOnV1(t)
	res := e.urun(t, "run", "--rm", "--cgroup-manager", "systemd", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "--cgroup-manager systemd: this host has")
	res = e.urun(t, "run", "--rm", "--cgroup-parent", "/jobs", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "run without --cgroup-parent")
	out := e.urun(t, "info").ok(t)
	assert.Contains(t, out, "Cgroup Driver: cgroupfs", "urun info says root gets cgroup v1 limits")
	assert.Contains(t, out, "/sys/fs/cgroup/CONTROLLER/urun/urun-ID")
	assert.NotContains(t, out, "No resource limits")
}
