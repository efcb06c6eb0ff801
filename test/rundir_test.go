package test

import (
	"os"
	"path/filepath"
	"strings"
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
	res.exits(t, 125)
	assert.Contains(t, res.stderr, elsewhere)
	assert.Contains(t, res.stderr, "--runroot")
	assert.Contains(t, res.stderr, id[:12])
	record, err := os.ReadFile(filepath.Join(session.GraphRoot(), "urun-runroot"))
	require.NoError(t, err, "the store records its run root")
	paired := strings.TrimSpace(string(record))
	assert.Contains(t, res.stderr, paired, "the message names both run directories")

	session.urun(t, "rm", "-f", "cnt").ok(t)
	session.urun(t, "--runroot", elsewhere, "ps", "-a").ok(t)
}
