package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Slurm with cgroup/v2 in the VM test bed: hack/vm/test.sh starts a
// single-node Slurm in the guest (hack/slurm/setup.sh) whose task/cgroup
// holds each job to its --mem (ConstrainRAMSpace) and CPUs
// (ConstrainCores). A job's containers stay in the job's cgroup, so the
// job's limits are theirs.

// jobCgroupPath matches a process's cgroup in a Slurm job (cgroup/v2:
// .../slurmstepd.scope/job_ID/step_STEP/user/task_N) and takes the job's
// id and cgroup.
var jobCgroupPath = regexp.MustCompile(`^0::(/.*/job_(\d+))/`)

// slurmJobCgroup is the job's cgroup directory and id in a /proc/PID/cgroup
// text, or "" when the process is in no job.
func slurmJobCgroup(procCgroup string) (dir, job string) {
	for _, l := range lines(procCgroup) {
		if m := jobCgroupPath.FindStringSubmatch(l); m != nil {
			return filepath.Join("/sys/fs/cgroup", m[1]), m[2]
		}
	}
	return "", ""
}

func vmSlurmStore(t *testing.T) *env {
	t.Helper()
	inVM(t)
	requireSlurm(t)
	return sharedStore(t)
}

func TestVMSlurmJobsContainerRunsInTheJobsCgroup(t *testing.T) {
	e := vmSlurmStore(t)
	res := e.slurm(t, "srun", append([]string{"--mem=64M"}, e.urunLine("run", "--rm", busyboxRef, "sh", "-c", "cat /proc/self/cgroup")...)...)
	out := res.ok(t)
	dir, job := slurmJobCgroup(out)
	if out == "0::/\n" {
		// The job's cgroup is delegated: urun gave the container a child
		// cgroup of it, with a cgroup namespace rooted there.
		t.Log("the job's cgroup is delegated to the user: the container has a child cgroup of the job's")
		return
	}
	require.NotEmpty(t, job, "the container's cgroup is in the job's: %q", out)
	t.Logf("the container ran in job %s's cgroup: %s", job, strings.TrimSpace(out))
	assert.Eventually(t, func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) }, 10*time.Second, 100*time.Millisecond,
		"the job's cgroup %s is gone once the job ended", dir)
}

func TestVMSlurmJobsMemoryLimitHoldsForItsContainer(t *testing.T) {
	e := vmSlurmStore(t)
	// dd's 200 MiB buffer fits in the guest's memory and a job of 512
	// MiB, not in one of 64 MiB (the guest has no swap).
	script := "dd if=/dev/zero of=/dev/null bs=200M count=1 2>/dev/null && echo survived"
	tests := []struct {
		name     string
		mem      string
		survives bool
	}{
		{"a job with room for it", "512M", true},
		{"a job with too little memory", "64M", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.slurm(t, "srun", append([]string{"--mem=" + tt.mem}, e.urunLine("run", "--rm", busyboxRef, "sh", "-c", script)...)...)
			if tt.survives {
				assert.Equal(t, "survived\n", res.ok(t))
				return
			}
			assert.NotEqual(t, 0, res.code, res.describe())
			assert.NotContains(t, res.stdout, "survived", "the job's memory limit killed dd")
			assert.Contains(t, res.stderr, "Out Of Memory", "Slurm saw the job's memory limit kill it")
		})
	}
	assert.Empty(t, e.ps(t, "-a"), "--rm removed the containers, killed or not")
}

// A limit flag in a job: where the job's cgroup is not delegated to the
// user (Slurm's cgroup/v2 keeps it root's), urun refuses it and names the
// job; the container would share the job's limits anyway.
func TestVMSlurmRefusesLimitFlagsInAJobWhoseCgroupIsNotDelegated(t *testing.T) {
	e := vmSlurmStore(t)
	res := e.slurm(t, "srun", append([]string{"--mem=256M"}, e.urunLine("run", "--rm", "--memory", "32m", busyboxRef, "cat", "/sys/fs/cgroup/memory.max")...)...)
	if res.code == 0 {
		// Delegated: the container's own cgroup, a child of the job's,
		// has the limit.
		t.Log("the job's cgroup is delegated to the user: --memory made a child cgroup of the job's")
		assert.Equal(t, "33554432\n", res.stdout)
		return
	}
	assert.Regexp(t, `urun runs in Slurm job \d+, whose cgroup is not delegated to you`, res.stderr)
	assert.Contains(t, res.stderr, "--mem", "the message says how to ask Slurm for the limit")
	assert.Empty(t, res.stdout, "nothing ran")
	assert.Empty(t, e.ps(t, "-a"))
}

func TestVMSlurmScancelEndsTheJobsContainerAndLeavesNothing(t *testing.T) {
	inVM(t)
	e := slurmStore(t)
	secs := uniqueSleep()
	script := e.jobScript(t, "job.sh", "#SBATCH --output="+filepath.Join(e.dir, "job.log")+"\n"+
		"srun "+shellQuote(e.urunLine("run", "--rm", "--stop-timeout", "2", busyboxRef, "sleep", secs))+"\n")
	job := strings.TrimSpace(e.slurm(t, "sbatch", "--parsable", "--mem=128M", script).ok(t))
	t.Cleanup(func() { e.slurm(t, "scancel", job) })
	var pids []int
	require.Eventually(t, func() bool { pids = processesWith("sleep", secs); return len(pids) == 1 }, slurmJobTimeout, 100*time.Millisecond,
		"the job's container runs (job log: %s)", readFileOr(filepath.Join(e.dir, "job.log")))
	procCgroup, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pids[0]), "cgroup"))
	require.NoError(t, err)
	dir, inJob := slurmJobCgroup(string(procCgroup))
	assert.Equal(t, job, inJob, "the container's process is in the job's cgroup: %s", procCgroup)
	if dir != "" {
		limit, err := os.ReadFile(filepath.Join(dir, "memory.max"))
		assert.NoError(t, err)
		assert.Equal(t, "134217728\n", string(limit), "the job's cgroup has its --mem, which holds for the container")
	}

	cancelled := time.Now()
	e.slurm(t, "scancel", job).ok(t)
	gone := func() bool {
		return len(processesWith("sleep", secs)) == 0 && len(processesMentioning(e.dir)) == 0 && !jobRuns(job)
	}
	require.Eventually(t, gone, slurmKillWait+30*time.Second, 100*time.Millisecond,
		"job %s, its urun and its container end (left: %q)", job, processesMentioning(e.dir))
	t.Logf("job %s and its container ended %.1fs after scancel", job, time.Since(cancelled).Seconds())
	if dir != "" {
		assert.Eventually(t, func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) }, 10*time.Second, 100*time.Millisecond,
			"the job's cgroup %s is gone", dir)
	}
	assert.Empty(t, mountsUnder(t, e.dir), "no layer is left mounted")
	assert.Empty(t, entries(t, filepath.Join(e.RunRoot(), "containers")), "the --rm container's run state is gone")
	assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")), "the --rm container's writable layer is gone")
	assert.Empty(t, e.ps(t, "-a"))
}
