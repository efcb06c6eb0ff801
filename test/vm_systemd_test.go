package test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// installUserUnit writes a unit of the test user's and reloads the
// manager; the test's end stops and removes it.
func installUserUnit(t *testing.T, name, text string) {
	t.Helper()
	dir := filepath.Join(os.Getenv("HOME"), ".config", "systemd", "user")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
	t.Cleanup(func() {
		systemctl(t, "stop", name)
		os.Remove(path)
		systemctl(t, "daemon-reload")
	})
	out, err := systemctl(t, "daemon-reload")
	require.NoError(t, err, out)
}

// systemctl runs systemctl --user as the test user.
func systemctl(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command("systemctl", append([]string{"--user"}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestVMGeneratedUnitStartsRestartsOnFailureAndStops(t *testing.T) {
	inVM(t)
	// --root and --runroot are flags, so the unit's urun finds this store.
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "create", "--name", "web", "--restart", "on-failure", busyboxRef, "sh", "-c", "echo up; exec sleep 1000").ok(t)
	unit := e.urun(t, "generate", "systemd", "--new", "web").ok(t)
	assert.Contains(t, unit, "Restart=on-failure\n")

	installUserUnit(t, "container-web.service", unit)

	// Installable: enabled, it is wanted by default.target, which the
	// lingering user's manager starts at boot.
	out, err := systemctl(t, "enable", "container-web.service")
	require.NoError(t, err, out)
	out, _ = systemctl(t, "is-enabled", "container-web.service")
	assert.Equal(t, "enabled", out)
	t.Cleanup(func() { systemctl(t, "disable", "container-web.service") })

	// Type=notify: start returns once urun said READY, the command started.
	out, err = systemctl(t, "start", "container-web.service")
	require.NoError(t, err, out)
	out, _ = systemctl(t, "is-active", "container-web.service")
	assert.Equal(t, "active", out)
	webRunning := func() bool {
		for _, c := range e.ps(t, "-a") {
			if slices.Contains(c.Names, "web") && c.State == "running" {
				return true
			}
		}
		return false
	}
	assert.True(t, webRunning(), "urun ps shows the container running")
	pid := strings.TrimSpace(e.urun(t, "inspect", "-f", "{{.State.Pid}}", "web").ok(t))
	cg, err := os.ReadFile("/proc/" + pid + "/cgroup")
	require.NoError(t, err)
	assert.Contains(t, string(cg), "container-web.service", "the container lives in the unit's cgroup")
	out = e.urun(t, "exec", "web", "cat", "/proc/self/cgroup").ok(t)
	assert.Equal(t, "0::/\n", out, "urun exec from outside the unit joins the container's cgroup in it")

	// A failure: systemd starts it again.
	e.urun(t, "kill", "web").ok(t)
	assert.Eventually(t, func() bool {
		n, _ := systemctl(t, "show", "-p", "NRestarts", "--value", "container-web.service")
		active, _ := systemctl(t, "is-active", "container-web.service")
		return n == "1" && active == "active"
	}, 60*time.Second, 200*time.Millisecond, "Restart=on-failure starts the unit again")
	assert.Eventually(t, webRunning, 30*time.Second, 200*time.Millisecond)

	out, err = systemctl(t, "stop", "container-web.service")
	require.NoError(t, err, out)
	out, _ = systemctl(t, "is-active", "container-web.service")
	assert.Equal(t, "inactive", out, "a clean stop is no failure")
	for _, c := range e.ps(t, "-a") {
		assert.NotContains(t, c.Names, "web", "the --new unit removes the container when it stops")
	}
}
