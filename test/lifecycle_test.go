package test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// runDetached runs `urun run -d ARGS...`, checks that it printed a full
// id, and removes the container (with -f) when the test ends.
func (e *env) runDetached(t *testing.T, args ...string) string {
	t.Helper()
	out := e.urun(t, append([]string{"run", "-d"}, args...)...).ok(t)
	id := strings.TrimSpace(out)
	require.Regexp(t, `^[0-9a-f]{64}$`, id, "run -d prints the full container id and nothing else")
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	return id
}

// psEntryNamed returns the ps -a entry of the container called name.
func (e *env) psEntryNamed(t *testing.T, name string) psEntry {
	t.Helper()
	for _, c := range e.ps(t, "-a") {
		if len(c.Names) == 1 && c.Names[0] == name {
			return c
		}
	}
	t.Fatalf("ps -a does not list %s", name)
	return psEntry{}
}

// waitForState waits until ps -a shows the container in state.
func (e *env) waitForState(t *testing.T, name, state string) psEntry {
	t.Helper()
	var last psEntry
	require.Eventually(t, func() bool {
		last = e.psEntryNamed(t, name)
		return last.State == state
	}, 30*time.Second, 50*time.Millisecond, "ps -a shows %s %s", name, state)
	return last
}

// monitorOf returns the pid of the detached container's monitor process.
func monitorOf(t *testing.T, id string) int {
	t.Helper()
	pids := processesWith("urun-monitor", id, "detach")
	require.Len(t, pids, 1, "one monitor runs container %s", id)
	return pids[0]
}

func TestRunDetachedThenPsLogsExecStopRm(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	id := e.runDetached(t, "--name", "web", busyboxRef, "sh", "-c", "echo to-stdout; echo to-stderr >&2; exec sleep "+secs)

	c := e.waitForState(t, "web", "running")
	assert.Equal(t, id, c.ID)
	assert.Regexp(t, `^Up `, c.Status)
	require.Len(t, processesWith("sleep", secs), 1, "the container runs after `run -d` returned")

	t.Run("the monitor has its own session, apart from the caller's terminal", func(t *testing.T) {
		pid := monitorOf(t, id)
		sid, err := unix.Getsid(pid)
		require.NoError(t, err)
		assert.Equal(t, pid, sid, "the monitor leads its own session")
	})
	t.Run("logs keeps stdout and stderr apart", func(t *testing.T) {
		require.Eventually(t, func() bool {
			res := e.urun(t, "logs", "web")
			return res.stdout == "to-stdout\n" && res.stderr == "to-stderr\n"
		}, 10*time.Second, 100*time.Millisecond)
	})
	t.Run("logs -t prefixes each line with its time", func(t *testing.T) {
		out := e.urun(t, "logs", "-t", "web").ok(t)
		assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z to-stdout\n$`, out)
	})
	t.Run("exec runs in the container", func(t *testing.T) {
		assert.Equal(t, "1\n", e.urun(t, "exec", "web", "sh", "-c", "pidof sleep").ok(t))
	})
	t.Run("a short id prefix names it", func(t *testing.T) {
		assert.Equal(t, "to-stdout\n", e.urun(t, "logs", id[:5]).stdout)
	})

	assert.Equal(t, "web\n", e.urun(t, "stop", "-t", "1", "web").ok(t))
	c = e.psEntryNamed(t, "web")
	assert.Equal(t, "exited", c.State)
	assert.Equal(t, 137, c.ExitCode, "sleep as PID 1 ignores SIGTERM: killed after the timeout")
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	assert.Empty(t, processesWith("urun-monitor", id, "detach"), "the monitor ended with its container")

	assert.Equal(t, "web\n", e.urun(t, "rm", "web").ok(t))
	assert.Empty(t, e.ps(t, "-a"))
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers)
	assert.Empty(t, states)
}

func TestLogsFollowSeesAllOfAHundredThousandLinesInOrder(t *testing.T) {
	e := containerEnv(t)
	const n = 100000
	// Started first, then followed while it writes.
	e.runDetached(t, "--name", "chatty", busyboxRef, "sh", "-c", fmt.Sprintf("sleep 0.5; seq 1 %d", n))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := e.command(ctx, "logs", "-f", "chatty")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	next := 1
	for sc.Scan() {
		if sc.Text() != strconv.Itoa(next) {
			t.Fatalf("line %d of logs -f is %q, want %d", next, sc.Text(), next)
		}
		next++
	}
	require.NoError(t, cmd.Wait(), "logs -f ends by itself once the container has ended")
	assert.Equal(t, n+1, next, "logs -f printed every line")

	t.Run("--tail", func(t *testing.T) {
		assert.Equal(t, fmt.Sprintf("%d\n%d\n", n-1, n), e.urun(t, "logs", "--tail", "2", "chatty").ok(t))
	})
}

func TestStopKillsAProcessThatIgnoresSIGTERMAfterTheTimeout(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "--name", "stubborn", busyboxRef, "sh", "-c", `trap "echo got TERM" TERM; while :; do sleep 0.1; done`)
	e.waitForState(t, "stubborn", "running")

	start := time.Now()
	e.urun(t, "stop", "-t", "1", "stubborn").ok(t)
	took := time.Since(start)
	assert.GreaterOrEqual(t, took, time.Second, "stop waited the timeout")
	assert.Less(t, took, 4*time.Second, "stop killed it soon after the timeout")
	c := e.psEntryNamed(t, "stubborn")
	assert.Equal(t, "exited", c.State)
	assert.Equal(t, 137, c.ExitCode)
	assert.Contains(t, e.urun(t, "logs", "stubborn").ok(t), "got TERM", "the stop signal reached the container first")
}

func TestStopUsesTheStopSignal(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "--name", "graceful", "--stop-signal", "USR1", busyboxRef, "sh", "-c", `trap "exit 42" USR1; while :; do sleep 0.1; done`)
	e.waitForState(t, "graceful", "running")
	e.urun(t, "stop", "graceful").ok(t)
	assert.Equal(t, 42, e.psEntryNamed(t, "graceful").ExitCode)
}

func TestRestartOnFailureCountsRestarts(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "--name", "flaky", "--restart", "on-failure:3", busyboxRef, "sh", "-c", "echo attempt; exit 3")

	assert.Equal(t, "3\n", e.urunWith(t, runConf{timeout: 30 * time.Second}, "wait", "flaky").ok(t))
	c := e.psEntryNamed(t, "flaky")
	assert.Equal(t, "exited", c.State)
	assert.Equal(t, 3, c.ExitCode)
	assert.Equal(t, strings.Repeat("attempt\n", 4), e.urun(t, "logs", "flaky").ok(t), "the first run and three restarts")
}

func TestRestartAlwaysEndsWithStop(t *testing.T) {
	e := containerEnv(t)
	id := e.runDetached(t, "--name", "phoenix", "--restart", "always", busyboxRef, "sh", "-c", "echo up; sleep 0.2; exit 0")
	require.Eventually(t, func() bool {
		return strings.Count(e.urun(t, "logs", "phoenix").stdout, "up\n") >= 3
	}, 30*time.Second, 100*time.Millisecond, "always restarts a container that exits 0")

	e.urun(t, "stop", "-t", "1", "phoenix").ok(t)
	assert.Empty(t, processesWith("urun-monitor", id, "detach"), "stop ended the monitor")
	c := e.psEntryNamed(t, "phoenix")
	assert.Equal(t, "exited", c.State)
	n := strings.Count(e.urun(t, "logs", "phoenix").stdout, "up\n")
	time.Sleep(time.Second)
	assert.Equal(t, n, strings.Count(e.urun(t, "logs", "phoenix").stdout, "up\n"), "no restart after stop")

	t.Run("start brings it back under its policy", func(t *testing.T) {
		e.urun(t, "start", "phoenix").ok(t)
		require.Eventually(t, func() bool {
			return strings.Count(e.urun(t, "logs", "phoenix").stdout, "up\n") >= n+2
		}, 30*time.Second, 100*time.Millisecond)
	})
}

func TestCreateThenStartAndWait(t *testing.T) {
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "create", "--name", "later", busyboxRef, "sh", "-c", "echo started; exit 5").ok(t))
	require.Regexp(t, `^[0-9a-f]{64}$`, id)
	c := e.psEntryNamed(t, "later")
	assert.Equal(t, "created", c.State)
	assert.Equal(t, "Created", c.Status)
	assert.Empty(t, e.ps(t), "a created container is not running")

	assert.Equal(t, "later\n", e.urun(t, "start", "later").ok(t))
	assert.Equal(t, "5\n", e.urun(t, "wait", "later").ok(t))
	assert.Equal(t, "started\n", e.urun(t, "logs", "later").ok(t))

	t.Run("start -a shows the output and exits with its status", func(t *testing.T) {
		res := e.urun(t, "start", "-a", "later")
		res.exits(t, 5)
		assert.Equal(t, "started\n", res.stdout)
	})
}

// TestStartAllStartsTheStoppedContainersTheFilterSelects: what
// urun-restart.service runs at boot (generate systemd --restart-service).
func TestStartAllStartsTheStoppedContainersTheFilterSelects(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	for _, c := range []struct{ name, restart string }{{"always1", "always"}, {"always2", "always"}, {"plain", "no"}} {
		e.urun(t, "create", "--name", c.name, "--restart", c.restart, busyboxRef, "sleep", secs).ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", c.name) })
	}
	e.runDetachedNamed(t, "running", "--restart", "always", busyboxRef, "sleep", secs)

	out := e.urun(t, "start", "--all", "--filter", "restart-policy=always").ok(t)
	assert.ElementsMatch(t, []string{"always1", "always2"}, lines(out), "the stopped ones it started, not the running one")
	state := map[string]string{}
	for _, c := range e.ps(t, "-a") {
		state[c.Names[0]] = c.State
	}
	assert.Equal(t, map[string]string{"always1": "running", "always2": "running", "running": "running", "plain": "created"}, state)
	assert.Equal(t, "", e.urun(t, "start", "--all", "--filter", "restart-policy=always").ok(t), "nothing left to start")

	for _, bad := range [][]string{{"--all", "plain"}, {"--all", "-a"}, {"--filter", "status=created", "plain"}, {"--all", "--filter", "restart=always"}} {
		res := e.urun(t, append([]string{"start"}, bad...)...)
		res.exits(t, 1)
	}
	assert.Equal(t, "created", e.psEntryNamed(t, "plain").State, "a refused start --all starts nothing")
}

func TestStartAttachPassesInput(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "-i", "--name", "cat", busyboxRef, "sh", "-c", "read line; echo got $line").ok(t)
	res := e.urunWith(t, runConf{stdin: strings.NewReader("hello\n")}, "start", "-a", "-i", "cat")
	res.ok(t)
	assert.Equal(t, "got hello\n", res.stdout)
}

func TestAttachToATerminalAndDetachWithCtrlPCtrlQ(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "-it", "--name", "shell", busyboxRef, "sh")
	e.waitForState(t, "shell", "running")

	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "attach", "shell"), 24, 80)
	// Typed on the terminal, echoed back through the container's.
	_, err := term.master.Write([]byte("echo $((6*7))\r"))
	require.NoError(t, err)
	term.shows(t, "42", "the shell's answer shows on the attached terminal")
	_, err = term.master.Write([]byte{0x10, 0x11}) // ctrl-p ctrl-q
	require.NoError(t, err)
	require.NoError(t, term.cmd.Wait(), "attach ends with exit 0 on the detach keys")
	assert.Equal(t, "running", e.psEntryNamed(t, "shell").State, "detaching leaves the container running")
}

func TestThirtyDetachedContainersStartedInParallel(t *testing.T) {
	e := containerEnv(t)
	const n = 30
	secs := uniqueSleep()
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := e.urunWith(t, runConf{timeout: 2 * time.Minute}, "run", "-d", "--name", fmt.Sprintf("par%02d", i), busyboxRef, "sleep", secs)
			if assert.Equal(t, 0, res.code, res.describe()) {
				ids[i] = strings.TrimSpace(res.stdout)
			}
		})
	}
	wg.Wait()
	require.Eventually(t, func() bool {
		list := e.ps(t)
		running := 0
		for _, c := range list {
			if c.State == "running" {
				running++
			}
		}
		return running == n
	}, time.Minute, 200*time.Millisecond, "ps lists all %d running", n)
	assert.Len(t, processesWith("sleep", secs), n)

	e.urunWith(t, runConf{timeout: 2 * time.Minute}, append([]string{"rm", "-f"}, ids...)...).ok(t)
	assert.Empty(t, e.ps(t, "-a"))
	assert.Empty(t, waitNoProcesses(10*time.Second, "sleep", secs), "no container process is left")
	for _, id := range ids {
		assert.Empty(t, processesWith("urun-monitor", id, "detach"), "no monitor is left")
	}
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers)
	assert.Empty(t, states)
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	require.NoError(t, err)
	assert.NotContains(t, string(mounts), e.dir, "nothing of the store stays mounted")
}

func TestKillingTheMonitorShowsTheContainerExitedAndRmCleansUp(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	id := e.runDetached(t, "--name", "orphan", busyboxRef, "sleep", secs)
	e.waitForState(t, "orphan", "running")

	require.NoError(t, syscall.Kill(monitorOf(t, id), syscall.SIGKILL))
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs), "the container dies with its monitor")
	c := e.waitForState(t, "orphan", "exited")
	assert.Equal(t, 137, c.ExitCode)
	e.urun(t, "rm", "orphan").ok(t)
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers)
	assert.Empty(t, states)
}

// TestSIGTERMToTheMonitorStopsTheContainerAsUrunStopDoes: SIGTERM is
// what the monitor gets when the system goes down or systemd stops the
// unit it runs in (urun-restart.service).
func TestSIGTERMToTheMonitorStopsTheContainerAsUrunStopDoes(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	id := e.runDetached(t, "--name", "term", "--restart", "always", "--stop-timeout", "1", busyboxRef, "sleep", secs)
	e.waitForState(t, "term", "running")

	start := time.Now()
	require.NoError(t, syscall.Kill(monitorOf(t, id), syscall.SIGTERM))
	// sleep, as PID 1, ignores SIGTERM: SIGKILL after the stop timeout.
	assert.Equal(t, "137\n", e.urunWith(t, runConf{timeout: 20 * time.Second}, "wait", "term").ok(t))
	assert.Less(t, time.Since(start), 8*time.Second, "the stop timeout (1 s), not forever")
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	assert.Equal(t, "exited", e.waitForState(t, "term", "exited").State, "--restart always does not bring it back")
}

func TestContainersOutliveTheRunRoot(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "kept", busyboxRef, "sh", "-c", "echo kept > /file; exit 3").exits(t, 3)
	// What a reboot does to $XDG_RUNTIME_DIR.
	require.NoError(t, os.RemoveAll(e.RunRoot()))

	c := e.psEntryNamed(t, "kept")
	assert.Equal(t, "exited", c.State)
	assert.Equal(t, 3, c.ExitCode)
	e.urun(t, "start", "kept").ok(t)
	assert.Equal(t, "3\n", e.urun(t, "wait", "kept").ok(t))
	e.urun(t, "rm", "kept").ok(t)
	layers, _ := e.containerDirs(t)
	assert.Empty(t, layers)
}

func TestDetachedRmContainerLeavesNothing(t *testing.T) {
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "--rm", busyboxRef, "sh", "-c", "sleep 0.3").ok(t))
	require.Regexp(t, `^[0-9a-f]{64}$`, id)
	require.Eventually(t, func() bool { return len(e.ps(t, "-a")) == 0 }, 10*time.Second, 100*time.Millisecond)
	assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")))
}

func TestLifecycleErrorsExitAsDockersWithTheReason(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "done", busyboxRef, "true").ok(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"run -d of a missing command", []string{"run", "-d", busyboxRef, "no-such-command"}, "no-such-command"},
		{"restart policy with --rm", []string{"run", "-d", "--rm", "--restart", "always", busyboxRef, "true"}, "--restart and --rm"},
		{"bad restart policy", []string{"run", "-d", "--restart", "sometimes", busyboxRef, "true"}, "want no, on-failure[:MAX-RETRIES], always or unless-stopped"},
		{"bad log option", []string{"run", "-d", "--log-opt", "max-size=lots", busyboxRef, "true"}, "max-size=lots"},
		{"stop of an unknown container", []string{"stop", "nosuch"}, "No such container: nosuch"},
		{"kill of a stopped container", []string{"kill", "done"}, "container done is not running"},
		{"exec in a stopped container", []string{"exec", "done", "true"}, "not running"},
		{"attach to a stopped container", []string{"attach", "done"}, "not running"},
		{"bad signal", []string{"kill", "-s", "SIGNOPE", "done"}, "invalid signal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, tt.args...)
			want := 1
			switch {
			case tt.name == "run -d of a missing command":
				want = 127
			case tt.args[0] == "run":
				want = 125
			}
			res.exits(t, want)
			assert.Contains(t, res.stderr, tt.want)
		})
	}
}

func TestLogMaxSizeRotatesTheLog(t *testing.T) {
	e := containerEnv(t)
	// 3000 lines of 100 bytes: about 400 kB of log with its prefixes.
	e.runDetached(t, "--name", "rotating", "--log-opt", "max-size=100k", "--log-opt", "max-file=2", busyboxRef,
		"sh", "-c", `i=0; while [ $i -lt 3000 ]; do printf "%099d\n" $i; i=$((i+1)); done`)
	e.urun(t, "wait", "rotating").ok(t)

	dir := filepath.Join(e.GraphRoot(), "urun-containers", e.psEntryNamed(t, "rotating").ID)
	for _, name := range []string{"ctr.log", "ctr.log.1"} {
		st, err := os.Stat(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.LessOrEqual(t, st.Size(), int64(100<<10), "%s stays within max-size", name)
	}
	assert.NoFileExists(t, filepath.Join(dir, "ctr.log.2"), "max-file=2 keeps two files")
	out := lines(e.urun(t, "logs", "rotating").ok(t))
	require.NotEmpty(t, out)
	assert.Less(t, len(out), 3000, "the oldest lines were rotated away")
	assert.Equal(t, fmt.Sprintf("%099d", 2999), out[len(out)-1], "the newest line is kept")
	// The first line kept may be the end of a line whose start went with
	// a rotated-away file.
	for i := 2; i < len(out); i++ {
		require.Less(t, out[i-1], out[i], "what is kept is in order")
	}
}

func TestRacingStartsAndStopsLeaveOneConsistentContainer(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	e.runDetached(t, "--name", "contested", busyboxRef, "sleep", secs)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			verb := []string{"start", "contested"}
			if i%2 == 1 {
				verb = []string{"stop", "-t", "0", "contested"}
			}
			res := e.urun(t, verb...)
			assert.Equal(t, 0, res.code, res.describe())
		})
	}
	wg.Wait()
	c := e.psEntryNamed(t, "contested")
	assert.Contains(t, []string{"running", "exited"}, c.State)
	want := 0
	if c.State == "running" {
		want = 1
	}
	assert.Len(t, processesWith("sleep", secs), want, "exactly one container process runs when ps says running")
	e.urun(t, "rm", "-f", "contested").ok(t)
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	assert.Empty(t, e.ps(t, "-a"))
}

func TestForegroundRunWithARestartPolicyRestartsInPlace(t *testing.T) {
	e := containerEnv(t)
	res := e.urun(t, "run", "--name", "again", "--restart", "on-failure:2", busyboxRef, "sh", "-c", "echo try; exit 4")
	res.exits(t, 4)
	assert.Equal(t, "try\ntry\ntry\n", res.stdout)
}

func TestKillRestartAndPause(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	e.runDetached(t, "--name", "target", busyboxRef, "sh", "-c", `trap "exit 9" USR2; sleep `+secs+` & wait`)
	e.waitForState(t, "target", "running")

	t.Run("pause says why it cannot freeze", func(t *testing.T) {
		res := e.urun(t, "pause", "target")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "cgroup v2")
	})
	t.Run("kill -s sends that signal to PID 1", func(t *testing.T) {
		assert.Equal(t, "target\n", e.urun(t, "kill", "-s", "USR2", "target").ok(t))
		assert.Equal(t, "9\n", e.urun(t, "wait", "target").ok(t))
	})
	t.Run("restart starts it again", func(t *testing.T) {
		e.urun(t, "restart", "-t", "1", "target").ok(t)
		c := e.waitForState(t, "target", "running")
		assert.Regexp(t, `^Up `, c.Status)
		require.Eventually(t, func() bool { return len(processesWith("sleep", secs)) == 1 }, 10*time.Second, 50*time.Millisecond)
		e.urun(t, "restart", "-t", "1", "target").ok(t)
		e.waitForState(t, "target", "running")
		require.Eventually(t, func() bool { return len(processesWith("sleep", secs)) == 1 }, 10*time.Second, 50*time.Millisecond,
			"the old container's processes are gone, the new one's run")
	})
	t.Run("rm -v is accepted as docker's", func(t *testing.T) {
		e.urun(t, "rm", "-f", "-v", "target").ok(t)
		assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	})
}

func TestAttachPassesCtrlCToTheContainer(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "--name", "trapper", busyboxRef, "sh", "-c", `trap "echo got INT; exit 3" INT; while :; do echo tick; sleep 0.1; done`)
	e.waitForState(t, "trapper", "running")

	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "attach", "trapper")
	out := &lineWriter{}
	cmd.Stdout = out
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "tick") }, 10*time.Second, 50*time.Millisecond,
		"attach shows the container's output")
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	assert.Equal(t, 3, cmd.ProcessState.ExitCode(), "attach exits with the container's status: %v", err)
	assert.Contains(t, out.String(), "got INT")

	t.Run("not with --sig-proxy=false", func(t *testing.T) {
		e.urun(t, "start", "trapper").ok(t)
		e.waitForState(t, "trapper", "running")
		cmd := e.command(ctx, "attach", "--sig-proxy=false", "trapper")
		out := &lineWriter{}
		cmd.Stdout = out
		require.NoError(t, cmd.Start())
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "tick") }, 10*time.Second, 50*time.Millisecond)
		require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
		cmd.Wait()
		assert.Equal(t, "running", e.psEntryNamed(t, "trapper").State)
	})
}
