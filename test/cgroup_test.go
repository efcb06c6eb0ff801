package test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// notCgroupV2 fails a test that needs a v1 or hybrid host where
// /sys/fs/cgroup is cgroup v2: the TestVM* tests cover that.
func notCgroupV2(t *testing.T) {
	t.Helper()
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs("/sys/fs/cgroup", &st))
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		t.Skip("this host has cgroup v2: limits work here, and the TestVM* tests check them")
	}
}

const needV2 = "rootless limits need cgroup v2 with a delegated subtree or a systemd user manager"

func TestLimitFlagOnAHybridHostFailsAndSaysWhy(t *testing.T) {
	notCgroupV2(t)
	e := containerEnv(t)
	for _, args := range [][]string{
		{"run", "--rm", "-m", "32m"},
		{"run", "--rm", "--cpus", "0.5"},
		{"run", "--rm", "--pids-limit", "20"},
		{"run", "--rm", "--blkio-weight", "500"},
		{"run", "--rm", "--memory-reservation", "16m"},
		{"run", "-d", "-m", "32m"},
		{"create", "--cpu-shares", "512"},
		{"run", "--rm", "--cgroup-manager", "systemd"},
	} {
		t.Run(args[0]+" "+args[len(args)-2], func(t *testing.T) {
			res := e.urun(t, append(args, busyboxRef, "true")...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, needV2)
			assert.Empty(t, res.stdout)
		})
	}
	assert.Empty(t, e.ps(t, "-a"), "no container was made")
}

func TestContainersWithoutLimitsRunOnAHybridHostWithoutAWarning(t *testing.T) {
	notCgroupV2(t)
	e := containerEnv(t)
	// The user's own configuration, which does not silence warnings.
	require.NoError(t, os.Remove(filepath.Join(e.configHome, "urun", "urun.conf")))
	for _, args := range [][]string{{}, {"--cgroupns", "host"}, {"--cgroups", "disabled"}, {"--cgroup-manager", "none"}} {
		res := e.urun(t, append(append([]string{"run", "--rm"}, args...), busyboxRef, "echo", "hi")...)
		assert.Equal(t, "hi\n", res.ok(t))
		assert.Empty(t, res.stderr, "a container without limits runs quietly on a hybrid host (%v): urun info says why it has no cgroup", args)
	}
	out := e.urun(t, "info").ok(t)
	assert.Contains(t, out, "rootless limits need", "urun info explains the cgroups")
}

func TestBadLimitValuesNameTheFlag(t *testing.T) {
	e := containerEnv(t)
	for _, c := range []struct {
		args []string
		msg  string
	}{
		{[]string{"--cpus", "lots"}, `invalid argument "lots" for "--cpus" flag: give a positive number of CPUs`}, // Docker's form for a typed flag
		{[]string{"-m", "1k"}, "--memory 1k: the smallest memory limit is 6MB"},
		{[]string{"--cgroup-manager", "cgmanager"}, "--cgroup-manager cgmanager: want systemd, cgroupfs or none"},
		{[]string{"--cgroupns", "shared"}, "--cgroupns shared: want private or host"},
		{[]string{"--cgroups", "disabled", "-m", "32m"}, "drop --cgroups=disabled"},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			res := e.urun(t, append(append([]string{"run", "--rm"}, c.args...), busyboxRef, "true")...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, c.msg)
		})
	}
}
