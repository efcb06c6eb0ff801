package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// On a host without cgroup v2 (this one: hybrid), containers have no
// cgroup of their own: pause says why it cannot freeze one.

const noFreezer = "it has no cgroup v2 cgroup of its own to freeze"

func TestPauseOnAHybridHostFailsAndSaysWhy(t *testing.T) {
	notCgroupV2(t)
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", busyboxRef, "sleep", "60").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	for _, verb := range []string{"pause", "unpause"} {
		t.Run(verb, func(t *testing.T) {
			res := e.urun(t, verb, id[:12])
			res.exits(t, 1)
			assert.Contains(t, res.stderr, "cannot "+verb+" container "+id[:12]+": "+noFreezer)
			assert.Contains(t, res.stderr, "cgroup v2 with a delegated subtree or a systemd user manager")
			assert.Empty(t, res.stdout)
		})
	}
	assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", id).ok(t), "still running")
}

func TestStatsOnAHybridHostNotesTheFiguresComeFromProc(t *testing.T) {
	notCgroupV2(t)
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", busyboxRef, "sleep", "60").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	res := e.urun(t, "stats", "--no-stream", "--format", "{{.MemUsage}} {{.MemPerc}}", id)
	assert.Regexp(t, `^[0-9.]+[KMG]?i?B / -- --\n$`, res.ok(t))
	assert.Equal(t, 1, strings.Count(res.stderr, "is measured through /proc"), res.stderr)

	// A stopped container is no running one measured through /proc.
	e.urun(t, "stop", "-t", "0", id).ok(t)
	res = e.urun(t, "stats", "--no-stream", id)
	res.ok(t)
	assert.NotContains(t, res.stderr, "/proc")
}
