package cgroupv2

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCgroup makes a directory that looks like a cgroup v2 directory:
// its controllers, enabled controllers and processes.
func fakeCgroup(t *testing.T, controllers, enabled, procs string) string {
	dir := t.TempDir()
	for name, v := range map[string]string{"cgroup.controllers": controllers, "cgroup.subtree_control": enabled, "cgroup.procs": procs} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644))
	}
	return dir
}

func read(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

func TestLimitsNeedTheControllersTheirFilesBelongTo(t *testing.T) {
	files := map[string]string{"memory.max": "1", "memory.swap.max": "1", "cpu.max": "1", "io.max": "x", "pids.max": "2"}
	assert.Equal(t, []string{"cpu", "io", "memory", "pids"}, controllersFor(files))
	assert.Empty(t, controllersFor(nil))
}

func TestTheContainersCgroupIsAChildWithItsLimits(t *testing.T) {
	all := "cpuset cpu io memory pids"
	for _, c := range []struct {
		name, controllers, enabled, procs string
		files                             map[string]string
		wantEnabled                       string
		wantLeaf                          bool
	}{
		{"no limits: a child with the accounting controllers", all, "", "", map[string]string{}, "+cpu +io +memory +pids", false},
		{"limits in an empty scope: enabled, no leaf", all, "", "", map[string]string{"memory.max": "33554432", "pids.max": "20", "cpuset.cpus": "0"}, "+cpu +cpuset +io +memory +pids", false},
		{"urun's own processes move to a leaf first", all, "", "41\n", map[string]string{"cpu.max": "50000 100000"}, "+cpu +io +memory +pids", true},
		{"controllers enabled already: nothing moves", all, "cpu io memory pids", "41\n", map[string]string{"memory.max": "33554432"}, "cpu io memory pids", false},
		{"stock systemd's memory and pids: accounting with what there is", "memory pids", "", "", map[string]string{}, "+memory +pids", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := fakeCgroup(t, c.controllers, c.enabled, c.procs)
			child, err := makeChild(dir, "container", "leaf", 4242, c.files)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(dir, "container"), child)
			assert.Equal(t, "4242", read(t, filepath.Join(child, "cgroup.procs")))
			assert.Equal(t, c.wantEnabled, read(t, filepath.Join(dir, "cgroup.subtree_control")))
			for name, v := range c.files {
				assert.Equal(t, v, read(t, filepath.Join(child, name)))
			}
			_, err = os.Stat(filepath.Join(dir, "leaf"))
			assert.Equal(t, c.wantLeaf, err == nil)
			if c.wantLeaf {
				assert.Equal(t, "41", read(t, filepath.Join(dir, "leaf", "cgroup.procs")))
			}
		})
	}
}

func TestACgroupLeftByAKilledUrunIsMadeAfresh(t *testing.T) {
	dir := fakeCgroup(t, "memory pids", "", "")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "container"), 0o755))
	child, err := makeChild(dir, "container", "leaf", 4242, map[string]string{"pids.max": "20"})
	require.NoError(t, err)
	assert.Equal(t, "4242", read(t, filepath.Join(child, "cgroup.procs")))
	assert.Equal(t, "20", read(t, filepath.Join(child, "pids.max")))
}

func TestAControllerNotDelegatedNamesItAndTheDropInThatFixesIt(t *testing.T) {
	// Stock systemd delegates memory and pids to the users' managers.
	dir := fakeCgroup(t, "memory pids", "", "")
	_, err := makeChild(dir, "container", "leaf", 1, map[string]string{"cpu.max": "50000 100000", "io.weight": "default 100", "memory.max": "1"})
	var missing *MissingControllersError
	require.True(t, errors.As(err, &missing), "%v", err)
	assert.Equal(t, []string{"cpu", "io"}, missing.Missing)
	assert.Contains(t, err.Error(), "need the cgroup controller(s) cpu io")
	assert.Contains(t, err.Error(), "(it has: memory pids)")
	assert.Contains(t, err.Error(), "/etc/systemd/system/user@.service.d/delegate.conf")
	assert.Contains(t, err.Error(), "Delegate=cpu cpuset io memory pids")
	assert.Contains(t, err.Error(), "systemctl daemon-reload")
	_, serr := os.Stat(filepath.Join(dir, "container"))
	assert.True(t, os.IsNotExist(serr), "nothing is made when a controller is missing")
}

func TestOOMKillsAreReadFromMemoryEvents(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.events"), []byte("low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n"), 0o644))
	n, err := OOMKills(dir)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	w := watchOOM(dir)
	require.NotNil(t, w)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "memory.events"), []byte("oom 3\noom_kill 3\n"), 0o644))
	// The kernel's change notice is read in the background.
	assert.Eventually(t, func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.max == 3
	}, 5*time.Second, time.Millisecond)
	require.NoError(t, os.Remove(filepath.Join(dir, "memory.events")))
	assert.Equal(t, uint64(3), w.stop(), "the count seen before the file went away")
}

func TestAnEndedContainersCgroupIsRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "container")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, removeCgroup(dir))
	_, err := os.Stat(dir)
	assert.True(t, os.IsNotExist(err))
	assert.NoError(t, removeCgroup(dir), "gone already is fine")
}
