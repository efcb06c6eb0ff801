package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Slurm tests submit jobs to the single-node Slurm that
// hack/setup-host.sh starts (hack/slurm/setup.sh), as the suite's user.
// srun and sbatch pass the caller's environment on to the job (Slurm's
// default --export=ALL), so urun in the job finds the test's store and the
// suite's binaries first in PATH, as a user's job finds theirs.

// slurmJobTimeout bounds one Slurm command: a job waits for the node's
// CPUs if another job holds them.
const slurmJobTimeout = 2 * time.Minute

// slurmKillWait is the KillWait hack/slurm/setup.sh configures: seconds
// between scancel's SIGTERM and its SIGKILL.
const slurmKillWait = 30 * time.Second

// requireSlurm fails the test unless a Slurm answers and has a node.
func requireSlurm(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("srun"); err != nil {
		t.Fatalf("srun is not installed: as root, hack/setup-host.sh (hack/slurm/setup.sh) installs and starts a single-node Slurm")
	}
	out, err := exec.Command("sinfo", "-h", "-N", "-o", "%T").CombinedOutput()
	state := strings.TrimSpace(string(out))
	if err != nil || state == "" || strings.HasPrefix(state, "down") || strings.HasPrefix(state, "drain") {
		t.Fatalf("Slurm's node is not up (sinfo: %q, %v): as root, bash hack/slurm/setup.sh", state, err)
	}
}

// urunLine is the command line of urun with e's flags, for a job script
// or srun: the job finds urun in PATH.
func (e *env) urunLine(args ...string) []string {
	return append(append([]string{"urun"}, e.flags...), args...)
}

// slurm runs a Slurm client command (srun, sbatch, scancel) with e's
// environment to its end and logs what it saw.
func (e *env) slurm(t *testing.T, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), slurmJobTimeout)
	defer cancel()
	return runCmd(t, ctx, e.commandOf(ctx, name, args...), runConf{})
}

// jobScript writes an sbatch script into e's directory.
func (e *env) jobScript(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(e.dir, name)
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700))
	return path
}

// slurmStore is a fresh store with the busybox fixture.
func slurmStore(t *testing.T) *env {
	t.Helper()
	requireSlurm(t)
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	return e
}

func TestSrunRunsAContainerWithItsOutputAndExitStatus(t *testing.T) {
	e := slurmStore(t)
	tests := []struct {
		name           string
		script         string
		code           int
		stdout, stderr string
	}{
		{"a command that succeeds", "echo hello from the job", 0, "hello from the job\n", ""},
		{"a command that fails", "echo partial; echo broken >&2; exit 7", 7, "partial\n", "broken\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.slurm(t, "srun", e.urunLine("run", "--rm", busyboxRef, "sh", "-c", tt.script)...)
			res.exits(t, tt.code)
			assert.Equal(t, tt.stdout, res.stdout, "the container's stdout is srun's")
			assert.Contains(t, res.stderr, tt.stderr, "the container's stderr is srun's")
			assert.Empty(t, e.ps(t, "-a"), "--rm removed the container")
		})
	}
}

func TestSbatchScriptRunsContainersInTurnAndInParallel(t *testing.T) {
	e := slurmStore(t)
	out := filepath.Join(e.dir, "results")
	require.NoError(t, os.Mkdir(out, 0o700))
	run := shellQuote(e.urunLine("run", "--rm", "-v", out+":/out", busyboxRef, "sh", "-c"))
	script := e.jobScript(t, "job.sh", fmt.Sprintf(`#SBATCH --output=%[1]s/job.log
set -e
%[2]s 'echo first > /out/one'
%[2]s 'cat /out/one > /out/two; echo second >> /out/two'
pids=
for i in 1 2 3 4; do
	%[2]s "sleep 0.5; echo parallel $i > /out/p$i" &
	pids="$pids $!"
done
for p in $pids; do wait $p; done
echo all done
`, out, run))

	start := time.Now()
	e.slurm(t, "sbatch", "--wait", "--quiet", script).ok(t)
	t.Logf("the job took %.1fs", time.Since(start).Seconds())

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		assert.NoError(t, err, "the job's container wrote %s", name)
		return string(b)
	}
	assert.Equal(t, "first\n", read("one"))
	assert.Equal(t, "first\nsecond\n", read("two"), "the second container saw the first one's file")
	for i := 1; i <= 4; i++ {
		assert.Equal(t, fmt.Sprintf("parallel %d\n", i), read(fmt.Sprintf("p%d", i)))
	}
	assert.Equal(t, "all done\n", read("job.log"), "the job's output has nothing but the script's")
	assert.Empty(t, e.ps(t, "-a"))
}

func TestSrunPtyRunsAnInteractiveContainer(t *testing.T) {
	e := slurmStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), slurmJobTimeout)
	defer cancel()
	term := startOnTerminal(t, e.commandOf(ctx, "srun", append([]string{"--pty"}, e.urunLine("run", "-it", "--rm", busyboxRef, "sh")...)...), 24, 80)
	_, err := term.master.Write([]byte("echo answer=$((6*7)); tty\n"))
	require.NoError(t, err)
	term.shows(t, "answer=42", "the container's shell read the line typed")
	_, err = term.master.Write([]byte("exit 5\n"))
	require.NoError(t, err)
	text, err := term.wait(t)
	require.NoError(t, ctx.Err(), "srun --pty urun run -it did not end: %q", text)
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "srun exits with the shell's status, got %v", err)
	assert.Equal(t, 5, exitErr.ExitCode())
	assert.Regexp(t, `(?m)^/dev/(pts/\d+|console)$`, text, "the container's shell has a terminal")
	assert.Empty(t, e.ps(t, "-a"))
}

// scancel sends SIGTERM to each job step's tasks (the programs srun
// started; with proctrack/cgroup not their children) and to the batch
// script's shell, and SIGKILL to everything left KillWait seconds later;
// a step whose tasks ended is killed at once. urun stops its containers
// itself within their stop timeout (2s here): where urun is the task, or
// the task passes SIGTERM on to it and waits, the job ends well before
// the SIGKILL and nothing is left, not even for the next urun to clean
// up. Where a shell that started urun in the background dies at once, the
// step's SIGKILL ends urun: nothing runs or stays mounted, and the next
// urun finds the container ended and removes what a --rm one left.
func TestScancelEndsTheJobsContainersAndLeavesNothing(t *testing.T) {
	twoContainers := func(e *env, secs, kept, shell string) string {
		rm := shellQuote(e.urunLine("run", "--rm", "--stop-timeout", "2", busyboxRef, "sleep", secs))
		keep := shellQuote(e.urunLine("run", "--name", "kept", "--stop-timeout", "2", busyboxRef, "sleep", kept))
		return "srun bash -c " + shellQuote([]string{shell + rm + " & " + keep + " & wait"}) + "\n"
	}
	tests := []struct {
		name string
		// script runs sleep secs in a --rm container and, when kept is
		// set, sleep kept in a container named "kept".
		script func(e *env, secs, kept string) string
		kept   bool
		// reaped: the job's urun is killed before it cleans up; the
		// next urun does.
		reaped bool
	}{
		{"urun as a job step's task (srun)", func(e *env, secs, _ string) string {
			return "srun " + shellQuote(e.urunLine("run", "--rm", "--stop-timeout", "2", busyboxRef, "sleep", secs)) + "\n"
		}, false, false},
		{"urun as the batch script (exec)", func(e *env, secs, _ string) string {
			return "exec " + shellQuote(e.urunLine("run", "--rm", "--stop-timeout", "2", busyboxRef, "sleep", secs)) + "\n"
		}, false, false},
		{"two containers of a step's shell that passes SIGTERM on and waits", func(e *env, secs, kept string) string {
			return twoContainers(e, secs, kept, `trap 'kill $(jobs -p); wait' TERM; `)
		}, true, false},
		{"two containers of a step's shell that dies at once", func(e *env, secs, kept string) string {
			return twoContainers(e, secs, kept, "")
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := slurmStore(t)
			secs, kept := uniqueSleep(), uniqueSleep()
			script := e.jobScript(t, "job.sh", "#SBATCH --output="+filepath.Join(e.dir, "job.log")+"\n"+tt.script(e, secs, kept))
			job := strings.TrimSpace(e.slurm(t, "sbatch", "--parsable", script).ok(t))
			t.Cleanup(func() { exec.Command("scancel", job).Run() })
			sleeps := [][]string{{"sleep", secs}}
			if tt.kept {
				sleeps = append(sleeps, []string{"sleep", kept})
			}
			for _, s := range sleeps {
				require.Eventually(t, func() bool { return len(processesWith(s...)) == 1 }, slurmJobTimeout, 50*time.Millisecond,
					"the job's container %q runs (job log: %s)", s, readFileOr(filepath.Join(e.dir, "job.log")))
			}

			cancelled := time.Now()
			e.slurm(t, "scancel", job).ok(t)
			gone := func() bool {
				for _, s := range sleeps {
					if len(processesWith(s...)) > 0 {
						return false
					}
				}
				return len(processesMentioning(e.dir)) == 0 && !jobRuns(job)
			}
			require.Eventually(t, gone, slurmKillWait+20*time.Second, 50*time.Millisecond,
				"job %s, its urun processes and its containers end (left: %q)", job, processesMentioning(e.dir))
			took := time.Since(cancelled)
			t.Logf("job %s and its containers ended %.1fs after scancel", job, took.Seconds())
			assert.Less(t, took, slurmKillWait-10*time.Second, "urun ended its containers on scancel's SIGTERM, before Slurm's SIGKILL")
			assert.Empty(t, mountsUnder(t, e.dir), "no layer is left mounted")

			// Before any urun runs (which would reap what a killed urun
			// left): what is left is what the job's urun left.
			if !tt.reaped {
				want := 0
				if tt.kept {
					want = 1 // the kept container's record
				}
				assert.Len(t, entries(t, filepath.Join(e.RunRoot(), "containers")), want, "the --rm container's run state is gone")
				assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")), "the --rm container's writable layer is gone")
			}

			if tt.kept {
				c := e.psEntryNamed(t, "kept")
				assert.Equal(t, "exited", c.State, "the kept container is recorded as ended")
				e.urun(t, "rm", "kept").ok(t)
			}
			assert.Empty(t, e.ps(t, "-a"))
			assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-containers")))
			assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")))
			assert.Empty(t, entries(t, filepath.Join(e.RunRoot(), "containers")))
		})
	}
}

// jobRuns says whether Slurm still lists the job as pending, running or
// completing.
func jobRuns(job string) bool {
	out, err := exec.Command("squeue", "-h", "-j", job, "-o", "%T").Output()
	if err != nil {
		return false // squeue fails for a job it no longer knows
	}
	state := strings.TrimSpace(string(out))
	return state != "" && state != "CANCELLED" && state != "COMPLETED"
}

// processesMentioning lists the host's processes whose command line
// mentions text, other than this test's own.
func processesMentioning(text string) []string {
	ents, _ := os.ReadDir("/proc")
	var found []string
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && bytes.Contains(b, []byte(text)) {
			found = append(found, fmt.Sprintf("%d: %s", pid, strings.ReplaceAll(string(b), "\x00", " ")))
		}
	}
	return found
}

// mountsUnder lists the mount points in this mount namespace under dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mounts")
	require.NoError(t, err)
	var found []string
	for _, l := range lines(string(b)) {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], dir) {
			found = append(found, f[1])
		}
	}
	return found
}

func readFileOr(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// On this hybrid host urun cannot give a container limits; inside a job
// it says so as it does outside, and runs nothing.
func TestSrunRefusesLimitFlagsWithTheReasonOnAHostWithoutCgroupV2(t *testing.T) {
	e := slurmStore(t)
	if st, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil && !st.IsDir() {
		t.Skip("this host has cgroup v2 at /sys/fs/cgroup: the VM tests cover limits there")
	}
	res := e.slurm(t, "srun", e.urunLine("run", "--rm", "--memory", "64m", busyboxRef, "echo", "ran")...)
	assert.NotEqual(t, 0, res.code)
	assert.NotContains(t, res.stdout, "ran")
	assert.Contains(t, res.stderr, "--memory")
	assert.Contains(t, res.stderr, "hybrid cgroups", "the reason names this host's cgroups")
	assert.Empty(t, e.ps(t, "-a"))
}
