package cgroupv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestASlurmJobIsToldFromItsCgroupPath(t *testing.T) {
	for _, c := range []struct {
		path, job string
	}{
		{"/system.slice/slurmstepd.scope/job_42/step_0/user/task_0", "42"},
		{"/system.slice/slurmstepd.scope/job_7/step_batch/user/task_special", "7"},
		{"/user.slice/user-1001.slice/session-3.scope", ""},
		{"/user.slice/user-1001.slice/user@1001.service/app.slice/job_1.scope", ""},
		{"/system.slice/slurmd.service", ""},
	} {
		assert.Equal(t, c.job, slurmJob(c.path), c.path)
	}
}

// In a Slurm job whose cgroup is not the user's, the container stays in
// the job (its limits, scancel) even when the user's systemd is
// reachable; in a delegated one it gets a child cgroup there.
func TestInASlurmJobTheContainerStaysInTheJobsCgroup(t *testing.T) {
	job := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/step_0/user/task_0",
		SlurmJob: "42", Bus: "unix:path=/run/user/1001/bus"}
	got, err := Choose(Request{}, job)
	require.NoError(t, err)
	assert.Equal(t, ManagerNone, got, "not a systemd scope outside the job")
	assert.Empty(t, NoCgroupReason(Request{}, job, got), "no warning: the job's cgroup is where it belongs")

	_, err = Choose(Request{Limits: true}, job)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Slurm job 42")
	assert.Contains(t, err.Error(), "--mem")

	delegatedJob := job
	delegatedJob.Writable, delegatedJob.Delegated = true, true
	got, err = Choose(Request{Limits: true}, delegatedJob)
	require.NoError(t, err)
	assert.Equal(t, ManagerCgroupfs, got, "limits in a child of the job's cgroup")

	got, err = Choose(Request{Manager: ManagerSystemd}, job)
	require.NoError(t, err)
	assert.Equal(t, ManagerSystemd, got, "asked for explicitly")
}
