package test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// onlyLogFile returns the log file of the env's one kept container.
func (e *env) onlyLogFile(t *testing.T) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(e.GraphRoot(), "urun-containers", "*", "ctr.log"))
	require.NoError(t, err)
	require.Len(t, logs, 1, "one container, one log")
	data, err := os.ReadFile(logs[0])
	require.NoError(t, err)
	return string(data)
}

// stateOf is the state ps -a shows of the container called name, "" when
// it lists none.
func (e *env) stateOf(t *testing.T, name string) string {
	t.Helper()
	for _, c := range e.ps(t, "-a") {
		if len(c.Names) == 1 && c.Names[0] == name {
			return c.State
		}
	}
	return ""
}

func TestLogsOfAContainerRunInTheForeground(t *testing.T) {
	e := containerEnv(t)
	res := e.urun(t, "run", "--name", "fg", busyboxRef, "sh", "-c", "echo hi; echo oops >&2")
	assert.Equal(t, "hi\n", res.ok(t), "the output still reaches the caller")
	assert.Equal(t, "oops\n", res.stderr)
	logs := e.urun(t, "logs", "fg")
	assert.Equal(t, "hi\n", logs.ok(t))
	assert.Equal(t, "oops\n", logs.stderr, "the log keeps the streams apart")
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT[\d:.]+Z hi\n$`, e.urun(t, "logs", "-t", "fg").ok(t))

	t.Run("--rm keeps none", func(t *testing.T) {
		e.urun(t, "run", "--rm", "--name", "gone", busyboxRef, "echo", "x").ok(t)
		assert.NotEqual(t, 0, e.urun(t, "logs", "gone").code, "the container is gone, its log with it")
	})
	t.Run("a restart adds to it", func(t *testing.T) {
		e.urun(t, "run", "--name", "again", "--restart", "on-failure:1", busyboxRef, "sh", "-c", "echo try; exit 2").exits(t, 2)
		assert.Equal(t, "try\ntry\n", e.urun(t, "logs", "again").ok(t))
	})
}

func TestLogDriverJSONFileAndNone(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "js", "--log-driver", "json-file", busyboxRef, "sh", "-c", "echo '\"quoted\"'; printf part").ok(t)
	lines := strings.Split(strings.TrimSuffix(e.onlyLogFile(t), "\n"), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `^\{"log":"\\"quoted\\"\\n","stream":"stdout","time":"[0-9T:.-]+Z"\}$`, lines[0], "Docker's json-file format")
	assert.Regexp(t, `^\{"log":"part","stream":"stdout",`, lines[1])
	assert.Equal(t, "\"quoted\"\npart", e.urun(t, "logs", "js").ok(t))

	e.urun(t, "run", "--name", "quiet", "--log-driver", "none", busyboxRef, "echo", "x").ok(t)
	res := e.urun(t, "logs", "quiet")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "configured logging driver does not support reading")

	if _, err := os.Stat("/run/systemd/journal/socket"); err != nil {
		res := e.urun(t, "run", "--rm", "--log-driver", "journald", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "/run/systemd/journal/socket")
	}
}

func TestLogsDetailsShowTheAttributesAskedFor(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "plain", busyboxRef, "echo", "x").ok(t)
	assert.Equal(t, " x\n", e.urun(t, "logs", "--details", "plain").ok(t), "no attributes: a space, as Docker's")
	e.urun(t, "run", "--name", "env", "-e", "APP=web", "-e", "OTHER=1", "--log-opt", "env=APP", busyboxRef, "echo", "x").ok(t)
	assert.Equal(t, "APP=web x\n", e.urun(t, "logs", "--details", "env").ok(t))
	assert.Equal(t, "x\n", e.urun(t, "logs", "env").ok(t))
}

func TestLogsFollowAcrossRestartsPrintsEachLineOnce(t *testing.T) {
	e := containerEnv(t)
	e.runDetached(t, "--name", "flaky", "--restart", "on-failure:2", busyboxRef, "sh", "-c", "sleep 0.3; echo attempt; exit 1")
	out := e.urunWith(t, runConf{timeout: 30 * time.Second}, "logs", "-f", "flaky").ok(t)
	e.waitForState(t, "flaky", "exited")
	all := e.urun(t, "logs", "flaky").ok(t)
	assert.Equal(t, strings.Repeat("attempt\n", 3), all)
	assert.True(t, strings.HasPrefix(all, out), "logs -f printed %q, a part of the log %q, each line once", out, all)

	e.runDetached(t, "--name", "restarted", busyboxRef, "sh", "-c", "echo up $$$(cat /proc/uptime); sleep 2")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	follow := e.command(ctx, "logs", "-f", "restarted")
	var followed syncBuffer
	follow.Stdout = &followed
	require.NoError(t, follow.Start())
	time.Sleep(500 * time.Millisecond)
	e.urun(t, "restart", "-t", "0", "restarted").ok(t)
	require.NoError(t, follow.Wait())
	e.waitForState(t, "restarted", "exited")
	all = e.urun(t, "logs", "restarted").ok(t)
	require.Len(t, lines(all), 2, "two runs, a line each")
	assert.True(t, strings.HasPrefix(all, followed.String()), "logs -f printed %q, a part of the log %q, each line once", followed.String(), all)
}

func TestRunAttachesOnlyTheStreamsOfDashA(t *testing.T) {
	e := containerEnv(t)
	res := e.urun(t, "run", "-a", "stdout", "--name", "some", busyboxRef, "sh", "-c", "echo out; echo err >&2; exit 4")
	res.exits(t, 4)
	assert.Equal(t, "out\n", res.stdout)
	assert.Empty(t, res.stderr, "stderr is not attached")
	assert.Equal(t, "err\n", e.urun(t, "logs", "some").stderr, "the log keeps it")

	res = e.urun(t, "run", "--rm", "-a", "STDERR", busyboxRef, "sh", "-c", "echo out; echo err >&2")
	res.ok(t)
	assert.Equal(t, "err\n", res.stderr)
}

func TestDetachKeysLeaveARunItContainerRunningAndAttachable(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "run", "-it", "--name", "shell", busyboxRef, "sh"), 24, 80)
	term.shows(t, "/ # ", "the shell prompts")
	_, err := term.master.Write([]byte("echo hel''lo\r"))
	require.NoError(t, err)
	term.shows(t, "hello", "the shell ran the command")
	_, err = term.master.Write([]byte{0x10, 0x11}) // ctrl-p ctrl-q
	require.NoError(t, err)
	_, err = term.wait(t)
	require.NoError(t, err, "urun exits 0 when the user detaches")
	assert.Equal(t, "running", e.psEntryNamed(t, "shell").State, "the container runs on")

	term = startOnTerminal(t, e.command(ctx, "attach", "shell"), 24, 80)
	_, err = term.master.Write([]byte("echo ag''ain\r"))
	require.NoError(t, err)
	term.shows(t, "again", "the attached shell ran the command")
	_, err = term.master.Write([]byte("exit 3\r"))
	require.NoError(t, err)
	_, err = term.wait(t)
	var exitErr interface{ ExitCode() int }
	require.ErrorAs(t, err, &exitErr)
	assert.Equal(t, 3, exitErr.ExitCode(), "attach exits with the container's status")
	logs := e.urun(t, "logs", "shell").ok(t)
	assert.Contains(t, logs, "hello")
	assert.Contains(t, logs, "again")

	t.Run("--detach-keys", func(t *testing.T) {
		term := startOnTerminal(t, e.command(ctx, "run", "-it", "--rm", "--name", "keys", "--detach-keys", "ctrl-a,d", busyboxRef, "sh"), 24, 80)
		term.shows(t, "/ # ", "the shell prompts")
		_, err := term.master.Write([]byte{0x01, 'd'})
		require.NoError(t, err)
		_, err = term.wait(t)
		require.NoError(t, err)
		assert.Equal(t, "running", e.psEntryNamed(t, "keys").State)
		e.urun(t, "rm", "-f", "keys").ok(t)
	})
}

func TestClosingTheTerminalOfRunItLeavesTheContainerRunning(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "run", "-it", "--name", "orphan", busyboxRef, "sh"), 24, 80)
	term.shows(t, "/ # ", "the shell prompts")
	// The terminal goes away: the kernel sends its controlling process,
	// urun, SIGHUP. (Closing the master here would not close it: the
	// helper's reader holds it in a blocking read.)
	require.NoError(t, term.cmd.Process.Signal(syscall.SIGHUP))
	start := time.Now()
	err := term.cmd.Wait()
	var exitErr interface{ ExitCode() int }
	require.ErrorAs(t, err, &exitErr, "urun ends by the hang-up, as Docker's CLI does")
	assert.Equal(t, 129, exitErr.ExitCode())
	assert.Less(t, time.Since(start), 10*time.Second, "urun ended by the hang-up, not by the test's timeout")
	assert.Equal(t, "running", e.psEntryNamed(t, "orphan").State, "the container runs on, detached")
	e.urun(t, "rm", "-f", "orphan").ok(t)
}

func TestSigProxyFalseLeavesTheContainerToItsOwn(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, "run", "--sig-proxy=false", "--name", "alone", busyboxRef, "sh", "-c", "sleep 2; echo survived")
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return e.stateOf(t, "alone") == "running" }, 30*time.Second, 50*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.Error(t, cmd.Wait(), "the signal ended urun")
	assert.Equal(t, "running", e.psEntryNamed(t, "alone").State, "not the container")
	e.waitForState(t, "alone", "exited")
	assert.Equal(t, "survived\n", e.urun(t, "logs", "alone").ok(t))
}
