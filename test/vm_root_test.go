package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Root's containers on a cgroup v2 host (issue 18): urun makes their
// cgroups itself, under /sys/fs/cgroup/urun, as Docker's cgroupfs driver
// does under /docker. hack/vm/test.sh runs these as root in the guest.

// rootCgroupParent is where urun run by root makes containers' cgroups.
const rootCgroupParent = "/sys/fs/cgroup/urun"

var rootStorePull struct {
	once sync.Once
	env  *env
	err  error
}

// rootStore is a store of root's with busybox, shared by the TestVMAsRoot*
// tests; it fails a test run by anyone but root in the VM test bed. On
// the host it skips: hack/test.sh's root pass with -test.run AsRoot
// selects these too.
func rootStore(t *testing.T) *env {
	t.Helper()
	if os.Getenv("URUN_VM") == "" {
		t.Skip("runs as root in the VM test bed, the only cgroup v2 host here (hack/vm/test.sh's root pass)")
	}
	if os.Geteuid() != 0 {
		t.Fatalf("this test runs as root in the VM test bed (hack/vm/test.sh's root pass); this is uid %d", os.Geteuid())
	}
	rootStorePull.once.Do(func() {
		// Not a test's temporary directory: the store lives as long as
		// the suite (in the guest, which is thrown away).
		dir, err := os.MkdirTemp("", "urun-root-store-")
		if err == nil {
			rootStorePull.env, err = makeEnv(dir, envOptions{explicitRoot: true})
		}
		if err != nil {
			rootStorePull.err = err
			return
		}
		hostCgroupIsV2(t, "before root's first urun command")
		if res := rootStorePull.env.urun(t, "pull", "-q", busyboxRef); res.code != 0 {
			rootStorePull.err = fmt.Errorf("%s: %s", res.cmdline, res.describe())
		}
		hostCgroupIsV2(t, "after root's urun pull")
	})
	if rootStorePull.err != nil {
		t.Fatalf("root's store could not pull busybox (every TestVMAsRoot* test fails with this): %v", rootStorePull.err)
	}
	t.Cleanup(func() { hostCgroupIsV2(t, "after "+t.Name()) })
	return rootStorePull.env
}

// hostCgroupIsV2 fails the test when the guest's /sys/fs/cgroup is no
// longer its cgroup2 mount (a mount of a container's reached the host),
// naming what the mount table has there.
func hostCgroupIsV2(t *testing.T, when string) {
	t.Helper()
	var st syscall.Statfs_t
	err := syscall.Statfs("/sys/fs/cgroup", &st)
	if err == nil && st.Type == 0x63677270 { // CGROUP2_SUPER_MAGIC
		return
	}
	mounts, _ := os.ReadFile("/proc/self/mountinfo")
	var near []string
	for _, l := range lines(string(mounts)) {
		if strings.Contains(l, " /sys") {
			near = append(near, l)
		}
	}
	t.Errorf("%s: /sys/fs/cgroup is no longer cgroup2 (statfs: %v, type %#x); the mounts at /sys...:\n%s", when, err, st.Type, strings.Join(near, "\n"))
}

// rootCgroupOf is the directory of root's container id's cgroup.
func rootCgroupOf(id string) string {
	return filepath.Join(rootCgroupParent, "urun-"+id)
}

func TestVMAsRootLimitsAreInTheContainersCgroupUnderUrun(t *testing.T) {
	e := rootStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	dir := rootCgroupOf(id)
	assert.Equal(t, "67108864", readTrimmed(t, filepath.Join(dir, "memory.max")))
	assert.Equal(t, "50000 100000", readTrimmed(t, filepath.Join(dir, "cpu.max")), "--cpus 0.5 as cpu.max")
	assert.Equal(t, "50", readTrimmed(t, filepath.Join(dir, "pids.max")))

	out := e.urun(t, "exec", id, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory.max; grep -x $$ /sys/fs/cgroup/cgroup.procs >/dev/null && echo listed").ok(t)
	assert.Equal(t, []string{"0::/", "67108864", "listed"}, lines(out), "exec joins the container's cgroup")

	e.urun(t, "rm", "-f", id).ok(t)
	assert.NoDirExists(t, dir, "the cgroup goes with the container")
}

func TestVMAsRootRunRmLeavesNoCgroup(t *testing.T) {
	e := rootStore(t)
	out := e.urun(t, "run", "--rm", "-m", "64m", busyboxRef, "cat", "/sys/fs/cgroup/memory.max", "/proc/self/cgroup").ok(t)
	assert.Equal(t, []string{"67108864", "0::/"}, lines(out))
	entries, err := os.ReadDir(rootCgroupParent)
	require.NoError(t, err)
	for _, en := range entries {
		assert.False(t, en.IsDir() && strings.HasPrefix(en.Name(), "urun-"), "left behind: %s", en.Name())
	}
	// A container without limits gets a cgroup too (for stats, pause).
	out = e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "cat /proc/self/cgroup; test -f /sys/fs/cgroup/memory.current && echo memory").ok(t)
	assert.Equal(t, []string{"0::/", "memory"}, lines(out))
}

func TestVMAsRootMemoryLimitKillsAndInspectSaysOOMKilled(t *testing.T) {
	e := rootStore(t)
	res := e.urun(t, "run", "--name", "root-oom", "-m", "32m", busyboxRef, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	t.Cleanup(func() { e.urun(t, "rm", "-f", "root-oom") })
	assert.Equal(t, 137, res.code, res.describe())
	assert.Equal(t, "true 137\n", e.urun(t, "inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "root-oom").ok(t))
	// It starts again in a cgroup of the same name.
	res = e.urun(t, "start", "-a", "root-oom")
	assert.Equal(t, 137, res.code, res.describe())
}

func TestVMAsRootPidsLimitContainsAForkBomb(t *testing.T) {
	assert.LessOrEqual(t, pidsAfterForkBomb(t, rootStore(t), 20), 20, "pids.current never passes pids.max")
}

func TestVMAsRootStatsPauseAndUpdateUseTheCgroup(t *testing.T) {
	e := rootStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--name", "root-stats", "-m", "32m", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })

	res := e.urun(t, "stats", "--no-stream", "--format", "json", "root-stats")
	out := res.ok(t)
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &row), out)
	assert.Regexp(t, `^[0-9.]+[KMG]?i?B / 32MiB$`, row["MemUsage"])
	assert.NotContains(t, res.stderr, "/proc", "the figures come from the cgroup")

	e.urun(t, "pause", "root-stats").ok(t)
	assert.Contains(t, readTrimmed(t, filepath.Join(rootCgroupOf(id), "cgroup.events")), "frozen 1")
	e.urun(t, "unpause", "root-stats").ok(t)

	assert.Equal(t, "root-stats\n", e.urun(t, "update", "--memory", "64m", "--pids-limit", "40", "root-stats").ok(t))
	assert.Equal(t, "67108864", readTrimmed(t, filepath.Join(rootCgroupOf(id), "memory.max")))
	assert.Equal(t, "40", readTrimmed(t, filepath.Join(rootCgroupOf(id), "pids.max")))
}

func TestVMAsRootKilledMonitorsCgroupIsRemovedByRm(t *testing.T) {
	e := rootStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--name", "root-orphan", "-m", "64m", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	require.DirExists(t, rootCgroupOf(id))
	require.NoError(t, syscall.Kill(monitorOf(t, id), syscall.SIGKILL))
	e.waitForState(t, "root-orphan", "exited")
	e.urun(t, "rm", "root-orphan").ok(t)
	assert.NoDirExists(t, rootCgroupOf(id), "rm removes the cgroup the killed monitor left")

	// A --rm container's: the next urun command reaps it.
	id = strings.TrimSpace(e.urun(t, "run", "-d", "--rm", "-m", "64m", busyboxRef, "sleep", "600").ok(t))
	require.DirExists(t, rootCgroupOf(id))
	require.NoError(t, syscall.Kill(monitorOf(t, id), syscall.SIGKILL))
	assert.Eventually(t, func() bool {
		e.urun(t, "ps", "-a").ok(t)
		_, err := os.Stat(rootCgroupOf(id))
		return os.IsNotExist(err)
	}, 10*time.Second, 200*time.Millisecond, "the next urun removes the --rm container's cgroup")
}

func TestVMAsRootCgroupParentIsAPathFromTheRoot(t *testing.T) {
	e := rootStore(t)
	parent := "/urun-test-parent/batch"
	t.Cleanup(func() {
		os.Remove("/sys/fs/cgroup" + parent)
		os.Remove("/sys/fs/cgroup/urun-test-parent")
	})
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--cgroup-parent", parent, "--cpus", "0.5", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	assert.Equal(t, "50000 100000", readTrimmed(t, filepath.Join("/sys/fs/cgroup", parent, "urun-"+id, "cpu.max")))
}

func TestVMAsRootCgroupManagerSystemdGivesAScopeInMachineSlice(t *testing.T) {
	e := rootStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--cgroup-manager", "systemd", "-m", "64m", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	scope := "/sys/fs/cgroup/machine.slice/urun-" + id + ".scope"
	assert.Equal(t, "67108864", readTrimmed(t, filepath.Join(scope, "container", "memory.max")), "the limit in a child of the system manager's scope")
	out := e.urun(t, "exec", id, "cat", "/proc/self/cgroup", "/sys/fs/cgroup/memory.max").ok(t)
	assert.Equal(t, []string{"0::/", "67108864"}, lines(out))
	e.urun(t, "stop", "-t", "1", id).ok(t)
	assert.Eventually(t, func() bool { _, err := os.Stat(scope); return os.IsNotExist(err) }, 10*time.Second, 100*time.Millisecond, "the scope is gone once the container ended")

	res := e.urun(t, "run", "--name", "root-scope-oom", "--cgroup-manager", "systemd", "-m", "32m", busyboxRef, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	t.Cleanup(func() { e.urun(t, "rm", "-f", "root-scope-oom") })
	assert.Equal(t, 137, res.code, res.describe())
	assert.Equal(t, "true\n", e.urun(t, "inspect", "-f", "{{.State.OOMKilled}}", "root-scope-oom").ok(t))
	failed, _ := exec.Command("systemctl", "list-units", "--failed", "--plain", "--no-legend", "urun-*").Output()
	assert.Empty(t, strings.TrimSpace(string(failed)), "no failed scope is left behind")

	// cgroupfs, asked for, is the default's.
	out = e.urun(t, "run", "--rm", "--cgroup-manager", "cgroupfs", "-m", "64m", busyboxRef, "cat", "/sys/fs/cgroup/memory.max").ok(t)
	assert.Equal(t, "67108864\n", out)
}

func TestVMAsRootInfoSaysUrunMakesTheCgroups(t *testing.T) {
	e := rootStore(t)
	out := e.urun(t, "info", "--format", "{{.CgroupDriver}} {{.CgroupVersion}}").ok(t)
	assert.Equal(t, "cgroupfs 2\n", out)
	out = e.urun(t, "info").ok(t)
	assert.Contains(t, out, rootCgroupParent)
}
