package cgroupv2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdateWritesTheLimitsAndEnablesWhatTheStartDidNot(t *testing.T) {
	parent := t.TempDir()
	writeFiles(t, parent, map[string]string{"cgroup.controllers": "cpuset cpu io memory pids", "cgroup.subtree_control": "cpu io memory pids", "cgroup.procs": ""})
	dir := filepath.Join(parent, "container")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, ApplyTo(dir, map[string]string{"memory.max": "67108864", "cpuset.cpus": "0"}))
	for name, want := range map[string]string{"memory.max": "67108864", "cpuset.cpus": "0"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		assert.Equal(t, want, string(got))
	}
	enabled, _ := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	assert.Contains(t, string(enabled), "+cpuset", "the controller the start did not need is enabled")

	err := ApplyTo(dir, map[string]string{"hugetlb.2MB.max": "0"})
	var missing *MissingControllersError
	assert.ErrorAs(t, err, &missing, "a controller the parent lacks says so")
}

func TestALimitNoLongerAskedIsLifted(t *testing.T) {
	before := map[string]string{"memory.max": "1", "memory.swap.max": "1", "pids.max": "5", "cpu.max": "50000 100000", "cpu.weight": "50", "memory.low": "1", "io.weight": "default 50"}
	after := map[string]string{"memory.max": "2", "memory.swap.max": "2"}
	assert.Equal(t, map[string]string{"pids.max": "max", "cpu.max": "max", "cpu.weight": "100", "memory.low": "0", "io.weight": "default 100"}, Unlimited(before, after))
}
