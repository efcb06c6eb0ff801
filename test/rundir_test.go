package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sessionAndNoSession returns one user's store twice: as urun sees it from
// a login session ($XDG_RUNTIME_DIR set to a private directory) and from
// su, sudo -u, cron or ssh without a session (no XDG_RUNTIME_DIR: urun's
// fallback under /tmp).
func sessionAndNoSession(t *testing.T) (session, noSession *env) {
	t.Helper()
	noSession = newEnvWith(t, envOptions{defaultRunRoot: true})
	session = &env{}
	*session = *noSession
	session.vars = append(slicesClone(noSession.vars), "XDG_RUNTIME_DIR="+mkTemp(t))
	noSession.urun(t, "pull", "-q", busyboxRef).ok(t)
	return session, noSession
}

// sessionFirst is sessionAndNoSession where the store was first used in
// the login session, so that its run root is in $XDG_RUNTIME_DIR (xdg).
func sessionFirst(t *testing.T) (session, noSession *env, xdg string) {
	t.Helper()
	noSession = newEnvWith(t, envOptions{defaultRunRoot: true})
	session = &env{}
	*session = *noSession
	xdg = mkTemp(t)
	session.vars = append(slicesClone(noSession.vars), "XDG_RUNTIME_DIR="+xdg)
	session.urun(t, "pull", "-q", busyboxRef).ok(t)
	return session, noSession, xdg
}

func TestOneStoreShowsTheSameContainersWithAndWithoutXDGRuntimeDir(t *testing.T) {
	tests := []struct {
		name string
		// starter runs the container; other is the same user elsewhere.
		pick func(session, noSession *env) (starter, other *env)
	}{
		{"started in a login session, managed from cron", func(s, n *env) (*env, *env) { return s, n }},
		{"started from cron, managed in a login session", func(s, n *env) (*env, *env) { return n, s }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			starter, other := tt.pick(sessionAndNoSession(t))
			marker := "while :; do date; sleep 0.2; done # " + uniqueSleep()
			loop := []string{"sh", "-c", marker}
			starter.runDetached(t, "--name", "cnt", busyboxRef, "sh", "-c", marker)
			starter.waitForState(t, "cnt", "running")

			assert.Equal(t, "running", other.psEntryNamed(t, "cnt").State, "ps -a elsewhere sees it running, not Exited (137)")
			other.urun(t, "start", "cnt").ok(t)
			assert.Len(t, processesWith(loop...), 1, "start of a running container starts no second copy")
			assert.Contains(t, other.urun(t, "logs", "cnt").ok(t), "UTC", "logs elsewhere reads its log")

			res := other.urun(t, "rm", "cnt")
			assert.NotEqual(t, 0, res.code, "rm without -f refuses a running container")
			assert.Len(t, processesWith(loop...), 1, "and leaves it running")

			other.urun(t, "rm", "-f", "cnt").ok(t)
			assert.Empty(t, waitNoProcesses(defaultTimeout/4, loop...), "rm -f elsewhere stops it")
			assert.Empty(t, starter.ps(t, "-a"))
			assert.Empty(t, other.ps(t, "-a"))
			assert.Empty(t, entries(t, filepath.Join(starter.GraphRoot(), "urun-containers")), "nothing is left of its layer")
		})
	}
}

func TestAnotherRunRootIsRefusedWhileTheStoresContainersRun(t *testing.T) {
	session, _ := sessionAndNoSession(t)
	id := session.runDetached(t, "--name", "cnt", busyboxRef, "sleep", uniqueSleep())
	session.waitForState(t, "cnt", "running")

	elsewhere := filepath.Join(mkTemp(t), "run")
	res := session.urun(t, "--runroot", elsewhere, "ps", "-a")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, elsewhere)
	assert.Contains(t, res.stderr, "--runroot")
	assert.Contains(t, res.stderr, id[:12])
	paired := strings.TrimSpace(readRecord(t, session))
	assert.Contains(t, res.stderr, paired, "the message names both run directories")

	session.urun(t, "rm", "-f", "cnt").ok(t)
	session.urun(t, "--runroot", elsewhere, "ps", "-a").ok(t)
}

// The end of the last login session removes $XDG_RUNTIME_DIR, and with it
// the run state of a detached container that keeps running. The next urun
// (from a new session, cron or su) must not take it for a container that
// ended: it is neither started a second time nor deleted.
func TestAContainerWhoseRunStateWasRemovedWhileItRanIsNeitherStartedAgainNorDeleted(t *testing.T) {
	session, noSession, xdg := sessionFirst(t)
	secs := uniqueSleep()
	id := session.runDetached(t, "--name", "cnt", busyboxRef, "sleep", secs)
	session.waitForState(t, "cnt", "running")
	monitor := monitorOf(t, id)
	require.Equal(t, filepath.Join(xdg, "urun"), strings.TrimSpace(readRecord(t, noSession)), "the store's run root is the session's")
	require.NoError(t, os.RemoveAll(xdg), "what logind does at the end of the last session")
	layer := filepath.Join(noSession.GraphRoot(), "urun-containers", id)

	assert.Equal(t, "running", noSession.psEntryNamed(t, "cnt").State)
	for _, args := range [][]string{{"start", "cnt"}, {"rm", "-f", "cnt"}} {
		res := noSession.urun(t, args...)
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "still runs", res.cmdline)
		assert.Contains(t, res.stderr, "pid "+strconv.Itoa(monitor), "%s names the process that runs it", res.cmdline)
	}
	noSession.urun(t, "rm", "cnt").exits(t, 1)
	noSession.urun(t, "container", "prune", "-f").ok(t)
	assert.Len(t, processesWith("sleep", secs), 1, "one copy runs")
	assert.DirExists(t, layer, "its writable layer is kept")

	require.NoError(t, syscall.Kill(monitor, syscall.SIGKILL))
	assert.Empty(t, waitNoProcesses(defaultTimeout/4, "sleep", secs), "the container ends with its monitor")
	noSession.urun(t, "rm", "cnt").ok(t)
	assert.NoDirExists(t, layer)
}

// readRecord is the run root the store of e records (config.RunRootRecord).
func readRecord(t *testing.T, e *env) string {
	t.Helper()
	record, err := os.ReadFile(filepath.Join(e.GraphRoot(), "urun-runroot"))
	require.NoError(t, err, "the store records its run root")
	return string(record)
}
