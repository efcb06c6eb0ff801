package cgroupv2

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, v := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644))
	}
}

func TestPauseWritesCgroupFreezeAndWaitsForCgroupEvents(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"cgroup.freeze": "0\n", "cgroup.events": "populated 1\nfrozen 0\n"})
	// The kernel says frozen a moment after the write.
	go func() {
		time.Sleep(50 * time.Millisecond)
		// Replaced whole, as the kernel's file reads: a truncating write
		// could be read empty in between.
		tmp := filepath.Join(dir, ".cgroup.events")
		os.WriteFile(tmp, []byte("populated 1\nfrozen 1\n"), 0o644)
		os.Rename(tmp, filepath.Join(dir, "cgroup.events"))
	}()
	start := time.Now()
	require.NoError(t, SetFrozen(dir, true))
	assert.GreaterOrEqual(t, time.Since(start), 50*time.Millisecond, "it waited for cgroup.events")
	data, err := os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
	require.NoError(t, err)
	assert.Equal(t, "1", string(data))
	frozen, err := Frozen(dir)
	require.NoError(t, err)
	assert.True(t, frozen)

	writeFiles(t, dir, map[string]string{"cgroup.events": "populated 1\nfrozen 0\n"})
	require.NoError(t, SetFrozen(dir, false))
	data, _ = os.ReadFile(filepath.Join(dir, "cgroup.freeze"))
	assert.Equal(t, "0", string(data))
}

func TestPauseOfAGoneCgroupFails(t *testing.T) {
	err := SetFrozen(filepath.Join(t.TempDir(), "gone"), true)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "cgroup.freeze")
}

func TestStatsReadTheCgroupsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cpu.stat":       "usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n",
		"memory.current": "10485760\n",
		"memory.stat":    "anon 4194304\nfile 6291456\ninactive_file 2097152\nactive_file 4194304\n",
		"memory.max":     "67108864\n",
		"pids.current":   "3\n",
		"io.stat":        "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n254:0 rbytes=1000 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
	})
	u, err := ReadUsage(dir)
	require.NoError(t, err)
	assert.Equal(t, Usage{CPUUsec: 1500000, CPUOK: true, Memory: 8 << 20, MemoryMax: 64 << 20, MemoryOK: true,
		PIDs: 3, PIDsOK: true, BlockRead: 5096, BlockWrite: 8192, BlockOK: true}, u)

	t.Run("no memory limit", func(t *testing.T) {
		writeFiles(t, dir, map[string]string{"memory.max": "max\n"})
		u, err := ReadUsage(dir)
		require.NoError(t, err)
		assert.Zero(t, u.MemoryMax)
		assert.True(t, u.MemoryOK)
	})
	t.Run("controllers the cgroup was not given are not OK", func(t *testing.T) {
		dir := t.TempDir()
		writeFiles(t, dir, map[string]string{"cpu.stat": "usage_usec 7\n"})
		u, err := ReadUsage(dir)
		require.NoError(t, err)
		assert.Equal(t, Usage{CPUUsec: 7, CPUOK: true}, u)
	})
	t.Run("a gone cgroup fails", func(t *testing.T) {
		_, err := ReadUsage(filepath.Join(dir, "gone"))
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}
