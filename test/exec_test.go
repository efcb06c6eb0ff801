package test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startRunning starts `urun run --name NAME ARGS...` in the background
// and waits until ps shows it running; ARGS end with a command that keeps
// running.
func (e *env) startRunning(t *testing.T, name string, args ...string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*defaultTimeout)
	t.Cleanup(cancel)
	cmd := e.command(ctx, append([]string{"run", "--name", name}, args...)...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	b := &background{cmd: cmd, done: make(chan error, 1)}
	go func() { b.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	running := func() bool {
		for _, c := range e.ps(t) {
			if len(c.Names) == 1 && c.Names[0] == name && c.State == "running" {
				return true
			}
		}
		return false
	}
	require.Eventually(t, running, 20*time.Second, 50*time.Millisecond, "ps shows %s running; its urun said: %s", name, stderr.String())
	return b
}

// waitForFile waits until the container's command has written path.
func (e *env) waitForFile(t *testing.T, name, path string) {
	t.Helper()
	require.Eventually(t, func() bool {
		return e.urun(t, "exec", name, "test", "-e", path).code == 0
	}, 20*time.Second, 100*time.Millisecond, "the container wrote %s", path)
}

func TestExecRunsInTheContainersNamespaces(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	e.startRunning(t, "target", "--hostname", "exec-target", busyboxRef, "sh", "-c",
		"echo from-the-container > /tmp/mark; cat /proc/self/uid_map > /tmp/uid_map; cat /proc/net/dev > /tmp/net_dev; touch /tmp/ready; exec sleep "+secs)
	e.waitForFile(t, "target", "/tmp/ready")

	t.Run("its host name", func(t *testing.T) {
		assert.Equal(t, "exec-target\n", e.urun(t, "exec", "target", "hostname").ok(t))
	})
	t.Run("its PID namespace: PID 1 is the container's command", func(t *testing.T) {
		cmdline := e.urun(t, "exec", "target", "cat", "/proc/1/cmdline").ok(t)
		assert.Equal(t, "sleep\x00"+secs+"\x00", cmdline)
		pid, err := strconv.Atoi(strings.TrimSpace(e.urun(t, "exec", "target", "sh", "-c", "echo $$").ok(t)))
		require.NoError(t, err)
		assert.Less(t, pid, 100, "the exec'd shell has a small pid of the container's PID namespace")
		ps := e.urun(t, "exec", "target", "ps").ok(t)
		assert.Regexp(t, regexp.MustCompile(`(?m)^\s*1 .*sleep `+secs+`$`), ps, "ps in exec lists the container's processes")
	})
	t.Run("its mount namespace: the file the container wrote", func(t *testing.T) {
		assert.Equal(t, "from-the-container\n", e.urun(t, "exec", "target", "cat", "/tmp/mark").ok(t))
		assert.Equal(t, "/\n", e.urun(t, "exec", "target", "pwd").ok(t), "the container's working directory")
	})
	t.Run("its network namespace", func(t *testing.T) {
		want := e.urun(t, "exec", "target", "cat", "/tmp/net_dev").ok(t)
		got := e.urun(t, "exec", "target", "cat", "/proc/net/dev").ok(t)
		assert.Equal(t, netDevNames(want), netDevNames(got))
		assert.Contains(t, netDevNames(got), "tap0", "the container's slirp4netns interface")
	})
	t.Run("its user namespace, as the container's user", func(t *testing.T) {
		uidMap := e.urun(t, "exec", "target", "cat", "/proc/self/uid_map").ok(t)
		assert.Equal(t, e.urun(t, "exec", "target", "cat", "/tmp/uid_map").ok(t), uidMap)
		assert.Equal(t, []string{"0", strconv.Itoa(os.Getuid()), "1"}, strings.Fields(lines(uidMap)[0]), "your uid is root inside")
		assert.Equal(t, "0\n", e.urun(t, "exec", "target", "id", "-u").ok(t))
	})
	t.Run("every namespace is PID 1's", func(t *testing.T) {
		out := e.urun(t, "exec", "target", "sh", "-c",
			`for ns in user mnt uts ipc net pid cgroup; do echo "$ns $(readlink /proc/self/ns/$ns) $(readlink /proc/1/ns/$ns)"; done`).ok(t)
		require.Len(t, lines(out), 7)
		for _, l := range lines(out) {
			f := strings.Fields(l)
			require.Len(t, f, 3, "line %q", l)
			assert.Equal(t, f[2], f[1], "the %s namespace", f[0])
		}
	})
	t.Run("it gets no descriptor of urun's", func(t *testing.T) {
		out := e.urun(t, "exec", "target", "ls", "-l", "/proc/self/fd").ok(t)
		assert.NotContains(t, out, "socket:")
		assert.LessOrEqual(t, len(lines(out)), 5, "stdio and ls's own directory: %s", out)
	})
}

func TestExecExitStatusIsTheCommands(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	tests := []struct {
		name    string
		command []string
		code    int
		stderr  string
	}{
		{"success", []string{"true"}, 0, ""},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7, ""},
		{"killed by a signal", []string{"sh", "-c", "kill -KILL $$"}, 137, ""},
		{"missing command", []string{"no-such-command"}, 127, `exec: "no-such-command": executable file not found in $PATH`},
		{"missing path", []string{"/no/such/file"}, 127, `exec: "/no/such/file"`},
		{"a directory", []string{"/etc"}, 126, `exec: "/etc"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, append([]string{"exec", "target"}, tt.command...)...)
			res.exits(t, tt.code)
			assert.Contains(t, res.stderr, tt.stderr)
		})
	}
}

func TestExecTakesEnvUserAndWorkdir(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	// The app image runs as user app in /home/app/work with APP_ENV=1.
	e.startRunning(t, "app", "-e", "FROM_RUN=run", "--entrypoint", "sleep", appRef, uniqueSleep())
	envFile := filepath.Join(e.dir, "vars.env")
	require.NoError(t, os.WriteFile(envFile, []byte("FROM_FILE=file\nAPP_ENV=from-file\n"), 0o600))

	tests := []struct {
		name  string
		flags []string
		cmd   string
		want  string
	}{
		{"the container's user, home and working directory by default", nil, "id -un; echo $HOME; pwd", "app\n/home/app\n/home/app/work\n"},
		{"the container's environment", nil, "echo $APP_ENV $FROM_RUN $FIXTURE", "1 run app\n"},
		{"-e sets and overrides", []string{"-e", "NEW=new", "-e", "APP_ENV=2"}, "echo $NEW $APP_ENV $FROM_RUN", "new 2 run\n"},
		{"-e KEY passes the caller's value", []string{"-e", "HOME"}, "echo $HOME", os.Getenv("HOME") + "\n"},
		{"--env-file, then -e", []string{"--env-file", envFile, "-e", "FROM_FILE=flag"}, "echo $FROM_FILE $APP_ENV", "flag from-file\n"},
		{"-u by name", []string{"-u", "nobody"}, "id -u; id -g; echo $HOME", "65534\n65534\n/nonexistent\n"},
		{"-u uid:gid", []string{"-u", "1000:1001"}, "id -u; id -g", "1000\n1001\n"},
		{"-u root", []string{"-u", "root"}, "id -un", "root\n"},
		{"-w", []string{"-w", "/tmp"}, "pwd", "/tmp\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"exec"}, tt.flags...), "app", "sh", "-c", tt.cmd)
			assert.Equal(t, tt.want, e.urun(t, args...).ok(t))
		})
	}
	t.Run("an unknown user", func(t *testing.T) {
		res := e.urun(t, "exec", "-u", "nosuchuser", "app", "true")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "unable to find user nosuchuser")
	})
	t.Run("a working directory that does not exist", func(t *testing.T) {
		res := e.urun(t, "exec", "-w", "/no/such/dir", "app", "true")
		res.exits(t, 126)
		assert.Contains(t, res.stderr, "/no/such/dir")
	})
}

func TestExecPassesStdinOnlyWithI(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	in := "line one\nline two\n"
	out := e.urunWith(t, runConf{stdin: strings.NewReader(in)}, "exec", "-i", "target", "cat").ok(t)
	assert.Equal(t, in, out)
	out = e.urunWith(t, runConf{stdin: strings.NewReader(in)}, "exec", "target", "cat").ok(t)
	assert.Empty(t, out, "without -i the command's stdin is empty")
}

func TestExecWithTTYGivesTheCommandATerminal(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	const rows, cols = 31, 91
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "exec", "-it", "target", "sh", "-c", "tty; stty size; echo TERM=$TERM; read line; echo got $line"), rows, cols)
	term.shows(t, "TERM=", "the command started")
	_, err := term.master.Write([]byte("typed\r"))
	require.NoError(t, err)
	text, err := term.wait(t)
	require.NoError(t, ctx.Err(), "urun exec -it did not exit within 30s")
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^/dev/pts/\d+$`), text, "tty names the container's pty")
	assert.Regexp(t, regexp.MustCompile(fmt.Sprintf(`(?m)^%d %d$`, rows, cols)), text, "the terminal has the caller's size")
	assert.Contains(t, text, "TERM=xterm")
	assert.Contains(t, text, "got typed", "what the user typed reached the command")
}

func TestExecDetachLeavesTheCommandRunning(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	secs := uniqueSleep()
	start := time.Now()
	res := e.urun(t, "exec", "-d", "target", "sleep", secs)
	res.ok(t)
	assert.Empty(t, res.stdout)
	assert.Less(t, time.Since(start), 10*time.Second, "exec -d returned without waiting for the command")
	ps := e.urun(t, "exec", "target", "ps").ok(t)
	assert.Regexp(t, regexp.MustCompile(`(?m)sleep `+secs+`$`), ps, "a later exec sees the detached command")
	assert.Len(t, processesWith("sleep", secs), 1, "the detached command runs after urun exec exited")

	t.Run("-t with -d is refused", func(t *testing.T) {
		res := e.urun(t, "exec", "-d", "-t", "target", "true")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "drop -t")
	})
	e.urun(t, "rm", "-f", "target").ok(t)
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs), "the detached command ends with its container")
}

func TestExecForwardsSignalsToTheCommand(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	secs := uniqueSleep()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "exec", "target", "sh", "-c", `trap "exit 3" TERM; sleep `+secs+` & echo ready; wait`)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stdout)
	require.True(t, sc.Scan(), "the command printed ready")
	require.Equal(t, "ready", sc.Text())
	require.Eventually(t, func() bool { return len(processesWith("sleep", secs)) > 0 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr) && exitErr.Exited(), "urun exec exits normally, got %v", err)
	assert.Equal(t, 3, exitErr.ExitCode(), "the command's trap ran")
}

func TestExecNeedsARunningContainer(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "done", busyboxRef, "true").ok(t)
	tests := []struct {
		name, ref, stderr string
	}{
		{"stopped", "done", "container done is not running"},
		{"unknown", "nosuch", "No such container: nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, "exec", tt.ref, "true")
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.stderr)
		})
	}
	t.Run("without a command", func(t *testing.T) {
		res := e.urun(t, "exec", "done")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "requires at least 2 arg(s)")
	})
}

// The exec'd process's output must not be mixed with urun's: stdout and
// stderr stay apart.
func TestExecKeepsStdoutAndStderrApart(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "target", busyboxRef, "sleep", uniqueSleep())
	res := e.urun(t, "exec", "target", "sh", "-c", "echo out; echo err >&2")
	res.ok(t)
	assert.Equal(t, "out\n", res.stdout)
	assert.Equal(t, "err\n", res.stderr)
}

// A container on the host's network shares this network namespace, which
// exec must leave alone (the container's user namespace does not own it).
func TestExecIntoAContainerOnTheHostsNetwork(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "hostnet", "--network", "host", busyboxRef, "sleep", uniqueSleep())
	assert.Equal(t, hostNetNS(t)+"\n", e.urun(t, "exec", "hostnet", "readlink", "/proc/self/ns/net").ok(t))
	assert.Equal(t, "0\n", e.urun(t, "exec", "hostnet", "id", "-u").ok(t))
}
