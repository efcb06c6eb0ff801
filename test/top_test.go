package test

import (
	"context"
	"encoding/json"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// topRows parses `urun top`'s table (ps -ef columns and CPID) into rows
// keyed by title; CMD keeps its spaces.
func topRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	l := lines(out)
	require.NotEmpty(t, l)
	titles := strings.Fields(l[0])
	require.Equal(t, []string{"UID", "PID", "CPID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}, titles)
	var rows []map[string]string
	for _, line := range l[1:] {
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), len(titles), "line %q", line)
		row := map[string]string{}
		for i, title := range titles[:len(titles)-1] {
			row[title] = f[i]
		}
		row["CMD"] = strings.Join(f[len(titles)-1:], " ")
		rows = append(rows, row)
	}
	return rows
}

func TestTopListsTheContainersProcessesWithTheirPIDInside(t *testing.T) {
	e := containerEnv(t)
	for _, tt := range []struct {
		name  string
		flags []string
		// sleepPID is sleep's pid in the container: urun's init is PID 1
		// with --init.
		sleepPID string
	}{
		{"the command is PID 1", nil, "1"},
		{"with --init", []string{"--init"}, "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			name := "top" + strconv.Itoa(len(tt.flags))
			secs := uniqueSleep()
			e.runDetachedNamed(t, name, append(tt.flags, busyboxRef, "sleep", secs)...)
			extra := uniqueSleep()
			e.urun(t, "exec", "-d", name, "sleep", extra).ok(t)

			var rows []map[string]string
			require.Eventually(t, func() bool {
				rows = topRows(t, e.urun(t, "top", name).ok(t))
				return len(rows) == len(tt.flags)+2
			}, 10*time.Second, 100*time.Millisecond, "top lists the command, the exec'd process (and the init)")
			byCmd := map[string]map[string]string{}
			for _, r := range rows {
				byCmd[r["CMD"]] = r
			}
			require.Contains(t, byCmd, "sleep "+secs)
			assert.Equal(t, tt.sleepPID, byCmd["sleep "+secs]["CPID"])
			require.Contains(t, byCmd, "sleep "+extra, "the exec'd process")
			assert.NotEqual(t, "1", byCmd["sleep "+extra]["CPID"])
			hostPID, err := strconv.Atoi(byCmd["sleep "+secs]["PID"])
			require.NoError(t, err)
			assert.Greater(t, hostPID, 1, "the PID column is the host's")
			assert.Equal(t, []int{hostPID}, processesWith("sleep", secs), "the host pid is the sleep's")

			out := e.urun(t, "top", name, "-o", "pid,comm").ok(t)
			assert.Regexp(t, regexp.MustCompile(`(?m)^ *PID +CPID +COMMAND$`), out, "ps options after the container")
			assert.Regexp(t, regexp.MustCompile(`(?m)^ *`+strconv.Itoa(hostPID)+` +`+tt.sleepPID+` +sleep$`), out)
			res := e.urun(t, "container", "top", name, "-o", "comm")
			res.exits(t, 1)
			assert.Contains(t, res.stderr, "no PID column")
		})
	}
	e.urun(t, "create", "--name", "idle", busyboxRef, "true").ok(t)
	res := e.urun(t, "top", "idle")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "container idle is not running")
}

func TestStatsNoStreamShowsAContainersProcesses(t *testing.T) {
	e := containerEnv(t)
	id := e.runDetachedNamed(t, "busy", busyboxRef, "sh", "-c", "sleep "+uniqueSleep()+" & exec sleep "+uniqueSleep())
	e.urun(t, "create", "--name", "idle", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "idle") })

	res := e.urun(t, "stats", "--no-stream")
	res.ok(t)
	assert.Contains(t, res.stderr, "/proc", "a note says where the figures come from")
	assert.Contains(t, res.stderr, "no memory limit")
	l := lines(res.stdout)
	require.Len(t, l, 2, "the header and the running container only")
	assert.Regexp(t, `^CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS$`, l[0])
	assert.Regexp(t, `^`+id[:12]+` +busy +[0-9.]+% +[0-9.]+[KMG]?i?B / -- +-- +[0-9.]+[kMG]?B / [0-9.]+[kMG]?B +\S+ / \S+ +2$`, l[1])

	out := e.urun(t, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemPerc}}", "busy", "idle").ok(t)
	assert.Equal(t, "busy 2 --\nidle 0 --\n", out, "named containers, stopped ones with zeros")

	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "container", "stats", "--no-stream", "--format", "json", "busy").ok(t)), &row))
	assert.Equal(t, "busy", row["Name"])
	assert.Equal(t, "2", row["PIDs"])
	mem := row["MemUsage"]
	assert.True(t, strings.HasSuffix(mem, " / --") && !strings.HasPrefix(mem, "0B"), "memory in use: %q", mem)

	e.urun(t, "stats", "--no-stream", "nosuch").exits(t, 1)
}

func TestStatsRefreshesEverySecondUntilInterrupted(t *testing.T) {
	e := containerEnv(t)
	e.runDetachedNamed(t, "spin", busyboxRef, "sh", "-c", "while :; do :; done")
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	cmd := e.command(ctx, "stats", "--format", "{{.Name}} {{.CPUPerc}}")
	var stdout syncBuffer
	cmd.Stdout = &stdout
	require.NoError(t, cmd.Start())
	cmd.Wait()
	require.Error(t, ctx.Err(), "stats ran until it was interrupted")
	blocks := lines(stdout.String())
	require.GreaterOrEqual(t, len(blocks), 2, "a block a second: %q", stdout.String())
	for _, l := range blocks {
		f := strings.Fields(l)
		require.Len(t, f, 2, "line %q", l)
		assert.Equal(t, "spin", f[0])
		cpu, err := strconv.ParseFloat(strings.TrimSuffix(f[1], "%"), 64)
		require.NoError(t, err)
		assert.Greater(t, cpu, 10.0, "a busy loop uses a CPU")
	}
	assert.NotContains(t, stdout.String(), "\033[2J", "no screen clearing when stdout is no terminal")
}

func TestStatsWithInitCountsTheInitAndReadsBlockIO(t *testing.T) {
	e := containerEnv(t)
	e.runDetachedNamed(t, "tiny", "--init", busyboxRef, "sleep", uniqueSleep())
	out := e.urun(t, "stats", "--no-stream", "--format", "{{.PIDs}}|{{.BlockIO}}|{{.NetIO}}", "tiny").ok(t)
	f := strings.Split(strings.TrimSpace(out), "|")
	require.Len(t, f, 3, "output %q", out)
	assert.Equal(t, "2", f[0], "urun's init and the command")
	assert.Regexp(t, `^\S+B / \S+B$`, f[1], "block I/O of the command")
	assert.Regexp(t, `^\S+B / \S+B$`, f[2], "the container's own network")
}

func TestStatsOnATerminalClearsTheScreenBeforeEachRefresh(t *testing.T) {
	e := containerEnv(t)
	e.runDetachedNamed(t, "idle", busyboxRef, "sleep", uniqueSleep())
	master, slave, err := openPTY(24, 120)
	require.NoError(t, err)
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	cmd := e.command(ctx, "stats")
	cmd.Stdout = slave
	require.NoError(t, cmd.Start())
	slave.Close()
	var screen syncBuffer
	go io.Copy(&screen, master)
	cmd.Wait()
	time.Sleep(100 * time.Millisecond)
	out := screen.String()
	assert.GreaterOrEqual(t, strings.Count(out, "\033[2J\033[H"), 2, "each refresh starts on a clear screen: %q", out)
	assert.GreaterOrEqual(t, strings.Count(out, "CONTAINER ID"), 2, "a table each refresh: %q", out)
	assert.Contains(t, out, " idle ")
}
