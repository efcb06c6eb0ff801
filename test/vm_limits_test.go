package test

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The limits of issue 7, from inside real containers in the VM test bed.

func TestVMLimitsShowInTheContainersOwnCgroup(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "--blkio-weight", "500", busyboxRef,
		"sh", "-c", "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max /sys/fs/cgroup/cpu.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/io.weight; cat /proc/self/cgroup").ok(t)
	assert.Equal(t, []string{"67108864", "67108864", "50000 100000", "50", "default 4950", "0::/"}, lines(out),
		"memory.max, memory.swap.max, cpu.max, pids.max, io.weight, and a cgroup namespace of its own")
}

func TestVMMemoryLimitKillsAndInspectSaysOOMKilled(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	// dd's 64 MiB buffer does not fit in 32 MiB of memory and 32 MiB of swap
	// (the guest has no swap).
	res := e.urun(t, "run", "--name", "oom", "-m", "32m", busyboxRef, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	t.Cleanup(func() { e.urun(t, "rm", "-f", "oom") })
	assert.Equal(t, 137, res.code, res.describe())
	out := e.urun(t, "inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom").ok(t)
	assert.Equal(t, "true 137\n", out)

	// It starts again: its scope, which an older systemd leaves "failed"
	// after an OOM kill, does not stand in the way of the new one.
	res = e.urun(t, "start", "-a", "oom")
	assert.Equal(t, 137, res.code, res.describe())
	failed, _ := systemctl(t, "list-units", "--failed", "--plain", "--no-legend", "urun-*")
	assert.Empty(t, failed, "no failed scope is left behind")
}

func TestVMPidsLimitContainsAForkBomb(t *testing.T) {
	inVM(t)
	assert.LessOrEqual(t, pidsAfterForkBomb(t, sharedStore(t), 20), 20, "pids.current never passes pids.max")
}

// pidsAfterForkBomb runs a container with --pids-limit limit that forks
// 60 sleeps, and returns its pids.current after.
func pidsAfterForkBomb(t *testing.T, e *env, limit int) int {
	t.Helper()
	// The count is read with the shell's own read: at the limit, a
	// command substitution could not fork.
	// The bomb runs in a subshell, which ends when a fork fails; the
	// shell goes on.
	script := `(for i in $(seq 60); do sleep 3 & done) 2>/dev/null; read c </sys/fs/cgroup/pids.current; echo "current $c"`
	out := e.urun(t, "run", "--rm", "--pids-limit", strconv.Itoa(limit), busyboxRef, "sh", "-c", script).ok(t)
	require.Len(t, lines(out), 1, out)
	n, err := strconv.Atoi(strings.TrimPrefix(lines(out)[0], "current "))
	require.NoError(t, err, out)
	return n
}

func TestVMCpusHalfGivesAboutHalfACPU(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	// A busy loop for 2 s of wall time; cpu.stat's usage_usec says how much
	// CPU the container got.
	script := `read_usage() { awk '/^usage_usec/ {print $2}' /sys/fs/cgroup/cpu.stat; }
a=$(read_usage); timeout 2 sh -c 'while :; do :; done'; b=$(read_usage); echo $((b - a))`
	start := time.Now()
	out := e.urun(t, "run", "--rm", "--cpus", "0.5", busyboxRef, "sh", "-c", script).ok(t)
	usec, err := strconv.Atoi(strings.TrimSpace(out))
	require.NoError(t, err, out)
	share := float64(usec) / 2e6
	t.Logf("%d µs of CPU in 2 s: %.2f CPU (run took %v)", usec, share, time.Since(start))
	assert.InDelta(t, 0.5, share, 0.15, "--cpus 0.5")
}

func TestVMScopeIsGoneWhenTheContainerEnds(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "64m", busyboxRef, "sleep", "60").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	scopes := func() string {
		out, _ := exec.Command("find", "/sys/fs/cgroup/user.slice", "-type", "d", "-name", "*"+id[:12]+"*").Output()
		return string(out)
	}
	assert.NotEmpty(t, scopes(), "the running container has a cgroup named after it")
	e.urun(t, "stop", "-t", "1", id).ok(t)
	assert.Eventually(t, func() bool { return scopes() == "" }, 10*time.Second, 100*time.Millisecond, "no cgroup is left once it ended")
}

// TestVMExecRunsUnderTheContainersLimits: an exec'd process joins the
// container's cgroup, though only systemd may move it from the caller's
// cgroup into the container's scope.
func TestVMExecRunsUnderTheContainersLimits(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "32m", "--pids-limit", "30", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })

	out := e.urun(t, "exec", id, "sh", "-c", "cat /proc/self/cgroup /sys/fs/cgroup/memory.max; grep -x $$ /sys/fs/cgroup/cgroup.procs >/dev/null && echo listed").ok(t)
	assert.Equal(t, []string{"0::/", "33554432", "listed"}, lines(out),
		"the exec'd shell is in the container's cgroup")
	// exec -d: the process outlives urun exec, in the container's cgroup.
	e.urun(t, "exec", "-d", id, "sleep", "500").ok(t)
	procs := `for p in $(cat /sys/fs/cgroup/cgroup.procs); do tr '\0' ' ' </proc/$p/cmdline 2>/dev/null; echo; done`
	out = e.urun(t, "exec", id, "sh", "-c", procs).ok(t)
	assert.Contains(t, out, "sleep 500 \n", "the detached process is in the container's cgroup")
	assert.Contains(t, out, "sleep 600 \n")

	res := e.urun(t, "exec", id, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	assert.Equal(t, 137, res.code, "-m 32m holds the exec'd process too: %s", res.describe())
	out = e.urun(t, "exec", id, "echo", "still", "running").ok(t)
	assert.Equal(t, "still running\n", out, "the OOM kill ended the exec'd process, not the container")

	// With no user manager in reach, urun says the process runs outside.
	noBus := *e
	noBus.flags = append([]string{"--runroot", e.RunRoot()}, e.flags...)
	noBus.vars = append(slicesClone(e.vars), "XDG_RUNTIME_DIR=/tmp")
	res = noBus.urun(t, "exec", id, "true")
	assert.Equal(t, 0, res.code, res.describe())
	assert.Contains(t, res.stderr, "runs outside container "+id+"'s cgroup")
}
