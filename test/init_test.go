package test

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunInitMakesTheCommandPID2UnderUrunsInit(t *testing.T) {
	e := sharedStore(t)
	tests := []struct {
		name      string
		flags     []string
		pid1, pid string
	}{
		{"with --init", []string{"--init"}, "urun-init", "2"},
		{"without", nil, "sh", "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "sh", "-c", `cat /proc/1/cmdline; echo; echo $$`)
			out := lines(e.urun(t, args...).ok(t))
			require.Len(t, out, 2)
			assert.Equal(t, tt.pid1, strings.Split(out[0], "\x00")[0], "PID 1's argv[0]")
			assert.Equal(t, tt.pid, out[1], "the command's pid")
		})
	}
}

// An orphan is reparented to PID 1; under --init that is urun's init,
// which must reap it when it exits, or it stays a zombie (state Z).
func TestRunInitReapsOrphans(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", "--init", busyboxRef, "sh", "-c",
		`(sleep 0.2 &); sleep 1.5; for f in /proc/[0-9]*/stat; do read -r s < $f && echo "$s"; done`).ok(t)
	var states []string
	for _, l := range lines(out) {
		// pid (comm) state ...: comm may hold spaces, the state follows the last ')'.
		rest := l[strings.LastIndex(l, ")")+1:]
		f := strings.Fields(rest)
		require.NotEmpty(t, f, "line %q", l)
		states = append(states, strings.Fields(l)[0]+":"+f[0])
	}
	require.NotEmpty(t, states)
	for _, s := range states {
		assert.NotRegexp(t, `:Z$`, s, "a zombie is left: %v", states)
	}
}

func TestRunInitPassesTheExitStatusOn(t *testing.T) {
	e := sharedStore(t)
	tests := []struct {
		name    string
		command []string
		code    int
	}{
		{"exit 9", []string{"sh", "-c", "exit 9"}, 9},
		{"killed by SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 137},
		{"not found", []string{"no-such-command"}, 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.urun(t, append([]string{"run", "--rm", "--init", busyboxRef}, tt.command...)...).exits(t, tt.code)
		})
	}
}

func TestRunInitForwardsSignalsToTheCommand(t *testing.T) {
	e := sharedStore(t)
	t.Run("SIGTERM sent to urun run", func(t *testing.T) {
		secs := uniqueSleep()
		ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
		defer cancel()
		cmd := e.command(ctx, "run", "--rm", "--init", busyboxRef, "sh", "-c", `trap "exit 3" TERM; sleep `+secs+` & echo ready; wait`)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(stdout)
		require.True(t, sc.Scan(), "the command printed ready")
		require.Equal(t, "ready", sc.Text())
		require.Eventually(t, func() bool { return len(processesWith("sleep", secs)) > 0 }, 5*time.Second, 10*time.Millisecond)
		sent := time.Now()
		require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
		err = cmd.Wait()
		var exitErr *exec.ExitError
		require.True(t, errors.As(err, &exitErr) && exitErr.Exited(), "urun exits normally, got %v", err)
		assert.Equal(t, 3, exitErr.ExitCode(), "the command's trap ran and its exit code is urun's")
		assert.Less(t, time.Since(sent), 10*time.Second)
		assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	})
	t.Run("SIGTERM sent to PID 1 inside", func(t *testing.T) {
		out := e.urunWith(t, runConf{timeout: 30 * time.Second}, "run", "--rm", "--init", busyboxRef, "sh", "-c",
			`trap "echo trapped; exit 4" TERM; kill -TERM 1; sleep 20 & wait`)
		out.exits(t, 4)
		assert.Equal(t, "trapped\n", out.stdout)
	})
}

func TestExecAndRmWorkOnAContainerRunWithInit(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	b := e.startRunning(t, "inited", "--init", busyboxRef, "sleep", secs)
	assert.Equal(t, "sleep\x00"+secs+"\x00", e.urun(t, "exec", "inited", "cat", "/proc/2/cmdline").ok(t))
	assert.Equal(t, "urun-init", strings.Split(e.urun(t, "exec", "inited", "cat", "/proc/1/cmdline").ok(t), "\x00")[0])
	t.Run("PID 1 cannot be inspected from inside", func(t *testing.T) {
		res := e.urun(t, "exec", "inited", "readlink", "/proc/1/exe")
		assert.NotEqual(t, 0, res.code, "/proc/1/exe would be the host's urun binary: %s", res.stdout)
	})
	assert.Equal(t, "inited\n", e.urun(t, "rm", "-f", "inited").ok(t))
	assert.Equal(t, 137, b.wait(t))
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
}
