package test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVMContainersComeBackAfterARebootWithLingering: a lingering user's
// enabled units start at boot with nobody logged in. Three of them: one
// from `generate systemd` that starts a kept container, whose writable
// layer and record must outlive the run root ($XDG_RUNTIME_DIR is a tmpfs
// the reboot clears); one from `generate systemd --new` that makes its
// container afresh; and urun-restart.service (`--restart-service`), which
// starts a container run with --restart always, as Docker's daemon would.
func TestVMContainersComeBackAfterARebootWithLingering(t *testing.T) {
	inVM(t)
	// The store outlives the test's first half: it is in the home
	// directory, and its run root where the user's run state lives.
	dir := filepath.Join(os.Getenv("HOME"), "urun-reboot-test")
	runRoot := filepath.Join(os.Getenv("XDG_RUNTIME_DIR"), "urun-reboot-test")
	units := map[string]string{"kept": "container-kept.service", "fresh": "container-fresh.service", "always": "urun-restart.service"}
	unitDir := filepath.Join(os.Getenv("HOME"), ".config", "systemd", "user")

	if !rebootAndRunAgain(t) {
		require.NoError(t, removeTree(dir))
		e, err := makeEnv(dir, envOptions{explicitRoot: true, runRoot: runRoot})
		require.NoError(t, err)
		e.urun(t, "pull", "-q", busyboxRef).ok(t)
		// Each start of the kept container adds a line to a file in its
		// own writable layer.
		e.urun(t, "create", "--name", "kept", "--restart", "on-failure", busyboxRef, "sh", "-c", "echo started >>/starts; exec sleep 100000").ok(t)
		e.urun(t, "create", "--name", "fresh", busyboxRef, "sh", "-c", "echo started >>/starts; exec sleep 100000").ok(t)
		e.urun(t, "run", "-d", "--name", "always", "--restart", "always", busyboxRef, "sh", "-c", "echo started >>/starts; exec sleep 100000").ok(t)
		// A network's definition survives the reboot; its container comes
		// back on it.
		e.urun(t, "network", "create", "rebootnet").ok(t)
		e.urun(t, "run", "-d", "--name", "netalways", "--restart", "always", "--network", "rebootnet", busyboxRef, "sleep", "100000").ok(t)
		require.NoError(t, os.MkdirAll(unitDir, 0o755))
		for name, unit := range units {
			args := map[string][]string{
				"kept":   {"generate", "systemd", name},
				"fresh":  {"generate", "systemd", "--new", name},
				"always": {"generate", "systemd", "--restart-service"},
			}[name]
			text := e.urun(t, args...).ok(t)
			require.NoError(t, os.WriteFile(filepath.Join(unitDir, unit), []byte(text), 0o644))
		}
		out, err := systemctl(t, "daemon-reload")
		require.NoError(t, err, out)
		out, err = systemctl(t, "enable", "--now", units["kept"], units["fresh"], units["always"])
		require.NoError(t, err, out)
		for _, unit := range units {
			out, _ = systemctl(t, "is-active", unit)
			require.Equal(t, "active", out, unit)
		}
		assert.Equal(t, "started\n", e.urun(t, "exec", "kept", "cat", "/starts").ok(t))
		return
	}

	e, err := makeEnv(dir, envOptions{explicitRoot: true, runRoot: runRoot})
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, unit := range units {
			systemctl(t, "disable", "--now", unit)
			os.Remove(filepath.Join(unitDir, unit))
		}
		systemctl(t, "daemon-reload")
		e.urun(t, "rm", "-f", "kept", "fresh", "always", "netalways")
		e.urun(t, "network", "rm", "rebootnet")
		if err := removeTree(dir); err != nil {
			t.Errorf("remove the test's store: %v", err)
		}
	})
	_, err = os.Stat(runRoot)
	require.NoError(t, err, "the run root is back, made by the units' urun at boot")
	for _, unit := range units {
		assert.Eventually(t, func() bool {
			out, _ := systemctl(t, "is-active", unit)
			return out == "active"
		}, 60*time.Second, 250*time.Millisecond, "%s started at boot, with nobody logged in", unit)
	}
	running := map[string]bool{}
	for _, c := range e.ps(t) {
		for _, n := range c.Names {
			running[n] = c.State == "running"
		}
	}
	assert.Equal(t, map[string]bool{"kept": true, "fresh": true, "always": true, "netalways": true}, running, "urun ps after the reboot")
	res := e.urun(t, "exec", "netalways", "nslookup", "netalways")
	assert.Equal(t, 0, res.code, "the --restart always container is back on its network, with names: %s", res.describe())
	assert.Contains(t, e.urun(t, "inspect", "-f", "{{(index .NetworkSettings.Networks \"rebootnet\").IPAddress}}", "netalways").ok(t), ".",
		"inspect shows its address on the network")
	assert.Equal(t, "started\nstarted\n", e.urun(t, "exec", "kept", "cat", "/starts").ok(t),
		"the kept container started again, its writable layer as it was")
	assert.Equal(t, "started\n", e.urun(t, "exec", "fresh", "cat", "/starts").ok(t),
		"the --new unit made its container afresh")
	assert.Equal(t, "started\nstarted\n", e.urun(t, "exec", "always", "cat", "/starts").ok(t),
		"urun-restart.service started the --restart always container again")
}
