package test

import (
	"context"
	"encoding/json"
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

// psEntry is one line of `urun ps --no-trunc --format json` (Docker's
// keys), with the exit code read from the status as a Docker script
// would.
type psEntry struct {
	ID       string
	Names    []string
	Image    string
	Command  string
	State    string
	Status   string
	ExitCode int
}

var exitedStatus = regexp.MustCompile(`^Exited \((\d+)\)`)

func (e *env) ps(t *testing.T, args ...string) []psEntry {
	t.Helper()
	out := e.urun(t, append([]string{"ps", "--no-trunc", "--format", "json"}, args...)...).ok(t)
	var list []psEntry
	for _, line := range lines(out) {
		var row map[string]string
		require.NoError(t, json.Unmarshal([]byte(line), &row), "ps --format json prints one object a line: %q", out)
		c := psEntry{ID: row["ID"], Names: strings.Split(row["Names"], ","), Image: row["Image"], Command: row["Command"], State: row["State"], Status: row["Status"]}
		if m := exitedStatus.FindStringSubmatch(c.Status); m != nil {
			c.ExitCode, _ = strconv.Atoi(m[1])
		}
		list = append(list, c)
	}
	return list
}

// psNames are the first names of the containers ps lists.
func psNames(list []psEntry) []string {
	var names []string
	for _, c := range list {
		names = append(names, c.Names[0])
	}
	return names
}

// containerEnv is a fresh store with the busybox fixture, so that `ps -a`
// sees only the test's own containers.
func containerEnv(t *testing.T) *env {
	t.Helper()
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	return e
}

// background is a `urun run` left running.
type background struct {
	cmd  *exec.Cmd
	done chan error
}

// runInBackground starts `urun run ... sleep SECS` and waits until ps
// shows it running (its command started).
func (e *env) runInBackground(t *testing.T, name, secs string) *background {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	t.Cleanup(cancel)
	cmd := e.command(ctx, "run", "--name", name, busyboxRef, "sleep", secs)
	require.NoError(t, cmd.Start())
	b := &background{cmd: cmd, done: make(chan error, 1)}
	go func() { b.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	require.Eventually(t, func() bool {
		for _, c := range e.ps(t) {
			if len(c.Names) == 1 && c.Names[0] == name && c.State == "running" {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "ps shows %s running", name)
	return b
}

// wait returns the background urun's exit code.
func (b *background) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-b.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the background urun did not end")
	}
	b.done <- nil // for the clean-up
	return b.cmd.ProcessState.ExitCode()
}

func (e *env) containerDirs(t *testing.T) (layers, states []string) {
	return entries(t, filepath.Join(e.GraphRoot(), "urun-containers")), entries(t, filepath.Join(e.RunRoot(), "containers"))
}

var generatedName = regexp.MustCompile(`^[a-z]+_[a-z]+[0-9]*$`)

func TestPsShowsExitedContainersWithTheirNames(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "seven", busyboxRef, "sh", "-c", "exit 7").exits(t, 7)
	e.urun(t, "run", busyboxRef, "true").ok(t)
	e.urun(t, "run", busyboxRef, "true").ok(t)

	t.Run("ps without -a shows no stopped container", func(t *testing.T) {
		assert.Equal(t, []string{"CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES"}, lines(e.urun(t, "ps").ok(t)))
		assert.Empty(t, e.ps(t))
	})
	t.Run("ps -a shows the exit code and the name", func(t *testing.T) {
		ls := lines(e.urun(t, "ps", "-a").ok(t))
		require.Len(t, ls, 4)
		assert.Regexp(t, `^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$`, ls[0])
		// Newest first: "seven" was the first run.
		assert.Regexp(t, `^[0-9a-f]{12} +\S+ +"sh -c exit 7" +(Less than a second|\d+ seconds?) ago +Exited \(7\) .* ago +seven$`, ls[3])
	})
	t.Run("ps --format json", func(t *testing.T) {
		list := e.ps(t, "-a")
		require.Len(t, list, 3)
		c := list[2]
		assert.Regexp(t, `^[0-9a-f]{64}$`, c.ID)
		assert.Equal(t, []string{"seven"}, c.Names)
		assert.Equal(t, `"sh -c exit 7"`, c.Command)
		assert.Equal(t, "exited", c.State)
		assert.Equal(t, 7, c.ExitCode)
		assert.Contains(t, c.Image, "busybox")
		t.Run("names are generated and unique", func(t *testing.T) {
			a, b := list[0].Names[0], list[1].Names[0]
			assert.Regexp(t, generatedName, a)
			assert.Regexp(t, generatedName, b)
			assert.NotEqual(t, a, b)
		})
	})
	t.Run("ps -q, --no-trunc, -l", func(t *testing.T) {
		list := e.ps(t, "-a")
		assert.Empty(t, e.urun(t, "ps", "-q").ok(t))
		assert.Equal(t, []string{list[0].ID[:12], list[1].ID[:12], list[2].ID[:12]}, lines(e.urun(t, "ps", "-a", "-q").ok(t)))
		assert.Equal(t, []string{list[0].ID}, lines(e.urun(t, "ps", "-a", "-q", "--no-trunc", "-n", "1").ok(t)))
		assert.Equal(t, []string{list[0].ID[:12]}, lines(e.urun(t, "ps", "-q", "-l").ok(t)), "-l shows the last created whatever its state")
	})
	t.Run("a kept container keeps its name", func(t *testing.T) {
		res := e.urun(t, "run", "--name", "seven", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, `the container name "seven" is already in use`)
	})
}

func TestRmRefusesARunningContainerAndRmFKillsIt(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	b := e.runInBackground(t, "live", secs)
	list := e.ps(t)
	require.Len(t, list, 1)
	assert.Regexp(t, `^Up `, list[0].Status)
	assert.Regexp(t, `Up .* live$`, lines(e.urun(t, "ps").ok(t))[1])

	res := e.urun(t, "rm", "live")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "cannot remove running container live: stop it first or use -f")
	require.Len(t, processesWith("sleep", secs), 1, "the refused rm left the container running")

	assert.Equal(t, "live\n", e.urun(t, "rm", "-f", "live").ok(t))
	assert.Equal(t, 137, b.wait(t), "the container was killed with SIGKILL")
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs))
	assert.Empty(t, e.ps(t, "-a"))
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers, "the writable layer is gone")
	assert.Empty(t, states, "the run state is gone")
}

func TestRmRemovesAnExitedContainerWithFilesOfSubordinateIDs(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "owned", busyboxRef, "sh", "-c",
		"mkdir /owned && touch /owned/f /f && chown -R 1000:1000 /owned /f && chmod 700 /owned").ok(t)
	other := strings.TrimSpace(e.urun(t, "run", busyboxRef, "hostname").ok(t))
	layers, states := e.containerDirs(t)
	require.Len(t, layers, 2)
	require.Len(t, states, 2)

	assert.Equal(t, "owned\n", e.urun(t, "rm", "owned").ok(t))
	layers, states = e.containerDirs(t)
	assert.True(t, len(layers) == 1 && strings.HasPrefix(layers[0], other), "only the other container's layer is left: %v", layers)
	assert.Equal(t, []string{other}, states)

	t.Run("by id prefix", func(t *testing.T) {
		assert.Equal(t, other[:6]+"\n", e.urun(t, "rm", other[:6]).ok(t))
		assert.Empty(t, e.ps(t, "-a"))
	})
	t.Run("unknown names: each said, exit 1; -f ignores them", func(t *testing.T) {
		res := e.urun(t, "rm", "nosuch1", "nosuch2")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "No such container: nosuch1")
		assert.Contains(t, res.stderr, "No such container: nosuch2")
		e.urun(t, "rm", "-f", "nosuch1").ok(t)
	})
}

func TestRmWithAnAmbiguousPrefixNamesTheCandidates(t *testing.T) {
	e := containerEnv(t)
	// 17 ids cannot all start with different hex digits.
	byFirst := map[byte]string{}
	var a, b string
	for range 17 {
		id := strings.TrimSpace(e.urun(t, "run", busyboxRef, "hostname").ok(t))
		if prev, ok := byFirst[id[0]]; ok {
			a, b = prev, id
			break
		}
		byFirst[id[0]] = id
	}
	require.NotEmpty(t, a)
	res := e.urun(t, "rm", a[:1])
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "matches several containers")
	assert.Contains(t, res.stderr, a)
	assert.Contains(t, res.stderr, b)
	e.urun(t, "rm", a, b).ok(t)
}

func TestContainerPruneRemovesAllStoppedContainers(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", busyboxRef, "sh", "-c", "head -c 100000 /dev/zero > /big && chown 1000 /big").ok(t)
	e.urun(t, "run", busyboxRef, "false").exits(t, 1)
	// A layer whose run state a reboot wiped.
	orphan := strings.TrimSpace(e.urun(t, "run", busyboxRef, "hostname").ok(t))
	require.NoError(t, os.RemoveAll(filepath.Join(e.RunRoot(), "containers", orphan)))
	secs := uniqueSleep()
	b := e.runInBackground(t, "live", secs)

	out := e.urun(t, "container", "prune", "-f").ok(t)
	ls := lines(out)
	require.GreaterOrEqual(t, len(ls), 5, out)
	assert.Equal(t, "Deleted Containers:", ls[0])
	for _, id := range ls[1:4] {
		assert.Regexp(t, `^[0-9a-f]{64}$`, id)
	}
	assert.True(t, hasPrefixed(ls[1:4], orphan), "the orphaned layer %s is among the deleted: %v", orphan, ls)
	assert.Regexp(t, `^Total reclaimed space: 1\d\d(\.\d+)?kB$`, ls[len(ls)-1], "at least the 100 kB file")

	list := e.ps(t, "-a")
	require.Len(t, list, 1, "the running container is kept")
	assert.Equal(t, []string{"live"}, list[0].Names)
	layers, _ := e.containerDirs(t)
	assert.Len(t, layers, 1)

	e.urun(t, "rm", "-f", "live").ok(t)
	b.wait(t)
	assert.Equal(t, "Total reclaimed space: 0B\n", e.urun(t, "container", "prune", "-f").ok(t))
}

func TestContainerPruneWithAFilterRemovesOnlyTheContainersItNames(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "scratch", "-l", "purpose=scratch", busyboxRef, "true").ok(t)
	e.urun(t, "run", "--name", "keeper", "-l", "purpose=keep", busyboxRef, "true").ok(t)
	e.urun(t, "run", "--name", "plain", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "scratch", "keeper", "plain") })

	out := e.urun(t, "container", "prune", "-f", "--filter", "label=purpose=scratch").ok(t)
	assert.Len(t, regexp.MustCompile(`(?m)^[0-9a-f]{64}$`).FindAllString(out, -1), 1, "one container deleted: %s", out)
	assert.ElementsMatch(t, []string{"keeper", "plain"}, psNames(e.ps(t, "-a")))

	e.urun(t, "container", "prune", "-f", "--filter", "label!=purpose").ok(t)
	assert.Equal(t, []string{"keeper"}, psNames(e.ps(t, "-a")))
	assert.Contains(t, e.urun(t, "container", "prune", "-f", "--filter", "until=24h").ok(t), "Total reclaimed space: 0B", "made just now: kept")
	assert.Equal(t, []string{"keeper"}, psNames(e.ps(t, "-a")))

	bad := e.urun(t, "container", "prune", "-f", "--filter", "color=red")
	bad.exits(t, 1)
	assert.Contains(t, bad.stderr, "prune takes label, label! and until")
}

func TestPsShowsAContainerWhoseUrunWasKilledAsExited(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	b := e.runInBackground(t, "victim", secs)
	require.NoError(t, syscall.Kill(b.cmd.Process.Pid, syscall.SIGKILL))
	b.wait(t)
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs), "the container died with its urun")

	assert.Empty(t, e.ps(t), "not running")
	list := e.ps(t, "-a")
	require.Len(t, list, 1)
	assert.Equal(t, "exited", list[0].State)
	assert.Equal(t, 137, list[0].ExitCode)
	assert.Regexp(t, `^Exited \(137\) `, list[0].Status)
	e.urun(t, "rm", "victim").ok(t)
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers)
	assert.Empty(t, states)
}
