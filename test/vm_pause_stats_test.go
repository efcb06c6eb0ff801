package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pause, unpause and stats through the container's own cgroup, in the VM
// test bed (issue 7).

// startCounter runs a detached container that writes a growing count to
// DIR/count every 50 ms, and returns a reader of the count.
func startCounter(t *testing.T, e *env, name string, args ...string) func() int {
	t.Helper()
	dir := t.TempDir()
	run := append([]string{"run", "-d", "--name", name, "-v", dir + ":/out"}, args...)
	run = append(run, busyboxRef, "sh", "-c", `i=0; while :; do i=$((i+1)); echo $i >/out/count.new; mv /out/count.new /out/count; sleep 0.05; done`)
	e.urun(t, run...).ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", name) })
	count := func() int {
		data, err := os.ReadFile(filepath.Join(dir, "count"))
		if err != nil {
			return -1
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(data)))
		return n
	}
	require.Eventually(t, func() bool { return count() > 2 }, 10*time.Second, 50*time.Millisecond, "the counter runs")
	return count
}

func TestVMPauseFreezesTheContainerAndUnpauseThawsIt(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	count := startCounter(t, e, "counter")

	assert.Equal(t, "counter\n", e.urun(t, "pause", "counter").ok(t))
	frozenAt := count()
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, frozenAt, count(), "a paused container does not count")

	out := e.urun(t, "ps", "--format", "{{.Names}} {{.State}} {{.Status}}").ok(t)
	assert.Regexp(t, `(?m)^counter paused Up .* \(Paused\)$`, out)
	assert.Equal(t, "paused true true\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", "counter").ok(t))
	res := e.urun(t, "pause", "counter")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "already paused")
	res = e.urun(t, "exec", "counter", "true")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "container counter is paused: unpause it")

	assert.Equal(t, "counter\n", e.urun(t, "unpause", "counter").ok(t))
	assert.Eventually(t, func() bool { return count() > frozenAt+2 }, 5*time.Second, 50*time.Millisecond, "it counts again after unpause")
	assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "counter").ok(t))
	e.urun(t, "unpause", "counter").exits(t, 1)
}

func TestVMStopAndKillOfAPausedContainerWork(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	for _, stop := range [][]string{{"stop", "-t", "1"}, {"kill"}} {
		t.Run(stop[0], func(t *testing.T) {
			name := "paused-" + stop[0]
			startCounter(t, e, name)
			e.urun(t, "pause", name).ok(t)
			start := time.Now()
			assert.Equal(t, name+"\n", e.urun(t, append(stop, name)...).ok(t))
			if stop[0] == "kill" {
				e.urun(t, "wait", name).ok(t)
			}
			t.Logf("%s of a paused container took %v", stop[0], time.Since(start))
			out := e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).ok(t)
			assert.Equal(t, "exited false\n", out)
			// It starts again, not paused.
			e.urun(t, "start", name).ok(t)
			out = e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).ok(t)
			assert.Equal(t, "running false\n", out)
		})
	}
}

func TestVMStatsShowsTheCgroupsMemoryLimitAndPids(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	startCounter(t, e, "stats-limited", "-m", "64m")
	res := e.urun(t, "stats", "--no-stream", "--format", "json", "stats-limited")
	out := res.ok(t)
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(out), &row), out)
	assert.Regexp(t, `^[0-9.]+[KMG]?i?B / 64MiB$`, row["MemUsage"])
	assert.Regexp(t, `^[0-9.]+%$`, row["MemPerc"])
	assert.Regexp(t, `^[0-9.]+%$`, row["CPUPerc"])
	pids, err := strconv.Atoi(row["PIDs"])
	require.NoError(t, err, out)
	assert.GreaterOrEqual(t, pids, 1, "pids.current counts the shell at least")
	assert.Regexp(t, `^[0-9.]+[kMG]?B / [0-9.]+[kMG]?B$`, row["BlockIO"])
	assert.NotContains(t, res.stderr, "/proc", "no note: the figures come from the cgroup")

	table := e.urun(t, "stats", "--no-stream", "stats-limited").ok(t)
	assert.Contains(t, table, "/ 64MiB")
}

func TestVMPauseOfAContainerWithCgroupsDisabledSaysWhy(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	e.urun(t, "run", "-d", "--name", "no-cgroup", "--cgroups=disabled", busyboxRef, "sleep", "60").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "no-cgroup") })
	res := e.urun(t, "pause", "no-cgroup")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "cannot pause container no-cgroup: it has no cgroup v2 cgroup of its own to freeze (it was started with --cgroups=disabled")

	res = e.urun(t, "stats", "--no-stream", "--format", "{{.MemUsage}} {{.PIDs}}", "no-cgroup")
	assert.Regexp(t, `^[0-9.]+[KMG]?i?B / -- 1\n$`, res.ok(t))
	assert.Contains(t, res.stderr, "a container without a cgroup of its own (--cgroups=disabled, or a host without cgroup v2 delegation) is measured through /proc")
}
