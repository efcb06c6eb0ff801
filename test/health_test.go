package test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Health checks as Docker's (--health-*, the image's HEALTHCHECK, ps,
// inspect) and podman's `healthcheck run`. The containers run side by
// side with 1 s intervals, so that the whole takes a few seconds.

// healthOf is a container's .State.Health as inspect shows it.
type healthOf struct {
	Status        string
	FailingStreak int
	Log           []struct {
		ExitCode int
		Output   string
	}
}

func (e *env) health(t *testing.T, name string) healthOf {
	t.Helper()
	var h healthOf
	out := e.urun(t, "inspect", "--format", "{{json .State.Health}}", name).ok(t)
	require.NoError(t, json.Unmarshal([]byte(out), &h), "inspect .State.Health of %s: %s", name, out)
	return h
}

// waitHealth waits until the container's health status is want.
func (e *env) waitHealth(t *testing.T, name, want string) healthOf {
	t.Helper()
	var h healthOf
	require.Eventually(t, func() bool {
		h = e.health(t, name)
		return h.Status == want
	}, 20*time.Second, 100*time.Millisecond, "container %s becomes %s (last: %+v)", name, want, h)
	return h
}

func TestHealthChecks(t *testing.T) {
	e := containerEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nHEALTHCHECK --interval=1s --retries=1 CMD echo from-image\n"})
	e.build(t, "-q", "-t", "localhost/healthy", ctx).ok(t)

	runs := []struct {
		name string
		args []string
	}{
		{"passing", []string{"--health-cmd", "echo fine", "--health-interval", "1s", busyboxRef}},
		{"failing", []string{"--health-cmd", "echo broken; exit 3", "--health-interval", "1s", "--health-retries", "2", busyboxRef}},
		{"hanging", []string{"--health-cmd", "sleep 61", "--health-timeout", "1s", "--health-interval", "1s", "--health-retries", "1", busyboxRef}},
		{"slow", []string{"--health-cmd", "true", "--health-interval", "1h", busyboxRef}},
		{"image", []string{"localhost/healthy"}},
		{"image-flags", []string{"--health-cmd", "echo from-flags", "localhost/healthy"}},
		{"disabled", []string{"--no-healthcheck", "localhost/healthy"}},
		{"plain", []string{busyboxRef}},
	}
	for _, r := range runs {
		e.urun(t, append(append([]string{"run", "-d", "--network", "none", "--name", r.name}, r.args...), "sleep", "120")...).ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", r.name) })
	}

	t.Run("a new container's health is starting", func(t *testing.T) {
		assert.Contains(t, e.urun(t, "ps", "--filter", "name=slow").ok(t), "(health: starting)")
		assert.Contains(t, lines(e.urun(t, "ps", "--filter", "health=starting", "--format", "{{.Names}}").ok(t)), "slow")
	})
	t.Run("a passing check makes it healthy in ps and inspect", func(t *testing.T) {
		h := e.waitHealth(t, "passing", "healthy")
		require.NotEmpty(t, h.Log)
		assert.Equal(t, 0, h.Log[0].ExitCode)
		assert.Equal(t, "fine\n", h.Log[0].Output)
		assert.Regexp(t, `Up .* \(healthy\)`, e.urun(t, "ps", "--filter", "name=passing").ok(t))
		assert.Contains(t, lines(e.urun(t, "ps", "--filter", "health=healthy", "--format", "{{.Names}}").ok(t)), "passing")
		assert.Equal(t, `{"Test":["CMD-SHELL","echo fine"],"Interval":1000000000}`+"\n",
			e.urun(t, "inspect", "--format", "{{json .Config.Healthcheck}}", "passing").ok(t))
	})
	t.Run("a failing check makes it unhealthy after its retries", func(t *testing.T) {
		h := e.waitHealth(t, "failing", "unhealthy")
		assert.GreaterOrEqual(t, h.FailingStreak, 2)
		assert.Equal(t, 3, h.Log[0].ExitCode)
		assert.Equal(t, "broken\n", h.Log[0].Output)
		assert.Contains(t, e.urun(t, "ps", "--filter", "name=failing").ok(t), "(unhealthy)")
		assert.Equal(t, "failing\n", e.urun(t, "ps", "--filter", "health=unhealthy", "--filter", "name=fail", "--format", "{{.Names}}").ok(t))
		assert.Contains(t, e.eventLines(t, "--filter", "container=failing", "--filter", "event=health_status", "--format", "{{.Action}}"), "health_status: unhealthy")
		assert.Contains(t, e.eventLines(t, "--filter", "container=passing", "--filter", "event=health_status", "--format", "{{.Action}}"), "health_status: healthy")
	})
	t.Run("a check longer than its timeout is killed and fails", func(t *testing.T) {
		h := e.waitHealth(t, "hanging", "unhealthy")
		assert.Equal(t, -1, h.Log[0].ExitCode)
		assert.Equal(t, "Health check exceeded timeout (1s)", h.Log[0].Output)
		// The check that runs now, at most: those that timed out are gone.
		assert.LessOrEqual(t, len(processesWith("sleep", "61")), 1)
	})
	t.Run("the image's HEALTHCHECK is run, and flags replace its fields", func(t *testing.T) {
		h := e.waitHealth(t, "image", "healthy")
		assert.Equal(t, "from-image\n", h.Log[0].Output)
		// A shell-form HEALTHCHECK CMD is CMD-SHELL, as Docker's builder makes it.
		assert.Equal(t, `{"Test":["CMD-SHELL","echo from-image"],"Interval":1000000000,"Retries":1}`+"\n",
			e.urun(t, "inspect", "--format", "{{json .Config.Healthcheck}}", "image").ok(t))
		h = e.waitHealth(t, "image-flags", "healthy")
		assert.Equal(t, "from-flags\n", h.Log[0].Output)
	})
	t.Run("--no-healthcheck turns the image's off", func(t *testing.T) {
		assert.Equal(t, `["NONE"]`+"\n", e.urun(t, "inspect", "--format", "{{json .Config.Healthcheck.Test}}", "disabled").ok(t))
		assert.Equal(t, "null\n", e.urun(t, "inspect", "--format", "{{json .State.Health}}", "disabled").ok(t))
		none := lines(e.urun(t, "ps", "--filter", "health=none", "--format", "{{.Names}}").ok(t))
		assert.ElementsMatch(t, []string{"disabled", "plain"}, none)
		assert.NotContains(t, e.urun(t, "ps", "--filter", "name=plain").ok(t), "health")
	})
	t.Run("healthcheck run runs the check now, as podman's", func(t *testing.T) {
		res := e.urun(t, "healthcheck", "run", "slow")
		assert.Equal(t, "", res.ok(t))
		assert.Equal(t, "healthy", e.health(t, "slow").Status, "its result counts")
		res = e.urun(t, "healthcheck", "run", "failing")
		res.exits(t, 1)
		assert.Equal(t, "unhealthy\n", res.stdout)
		res = e.urun(t, "healthcheck", "run", "plain")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "no defined healthcheck")
	})
	t.Run("a stopped container's health is unhealthy, as Docker's", func(t *testing.T) {
		e.urun(t, "stop", "-t", "0", "passing").ok(t)
		assert.Equal(t, "unhealthy", e.health(t, "passing").Status)
		res := e.urun(t, "healthcheck", "run", "passing")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "not running")
	})
	t.Run("a foreground container runs its checks too", func(t *testing.T) {
		cmd := e.command(t.Context(), "run", "--rm", "--network", "none", "--name", "fg", "--health-cmd", "true", "--health-interval", "1s", busyboxRef, "sleep", "4")
		require.NoError(t, cmd.Start())
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		assert.Eventually(t, func() bool {
			return strings.Contains(e.urun(t, "ps", "--filter", "name=fg").stdout, "(healthy)")
		}, 10*time.Second, 100*time.Millisecond)
		require.NoError(t, <-done)
	})
}

func TestHealthCheckFlagsAreCheckedBeforeAnythingIsMade(t *testing.T) {
	e := newEnv(t)
	res := e.urun(t, "run", "--rm", "--no-healthcheck", "--health-cmd", "true", "busybox", "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "--no-healthcheck conflicts")
}
