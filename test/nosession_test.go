package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Commands without a login session of their own: su, sudo -u, cron and
// ssh without a session leave XDG_RUNTIME_DIR unset; a Slurm job gets the
// login node's, which need not exist on the compute node. Each must see
// the containers a login session started, and the session theirs.

// noSessionVariants are the environments of a command without a session,
// as extra variables over the user's.
var noSessionVariants = []struct {
	name string
	vars []string
}{
	{"su, sudo -u or cron (no XDG_RUNTIME_DIR)", []string{"XDG_RUNTIME_DIR="}},
	{"a job with the login node's XDG_RUNTIME_DIR, missing here", []string{"XDG_RUNTIME_DIR=/run/user/" + strconv.Itoa(os.Getuid()) + "/on-the-login-node"}},
}

// sessionAnd returns one store twice: from a login session (a private
// XDG_RUNTIME_DIR) and from a command with vars instead.
func sessionAnd(t *testing.T, vars []string) (session, other *env) {
	t.Helper()
	session = newEnvWith(t, envOptions{defaultRunRoot: true})
	session.vars = append(session.vars, "XDG_RUNTIME_DIR="+mkTemp(t))
	other = &env{}
	*other = *session
	other.vars = append(slicesClone(session.vars), vars...)
	session.urun(t, "pull", "-q", busyboxRef).ok(t)
	return session, other
}

func TestCommandsWithoutASessionSeeTheSessionsContainersAndTheReverse(t *testing.T) {
	for _, v := range noSessionVariants {
		for _, startedInSession := range []bool{true, false} {
			name := v.name + ", started in the session"
			if !startedInSession {
				name = v.name + ", started there, seen in the session"
			}
			t.Run(name, func(t *testing.T) {
				session, other := sessionAnd(t, v.vars)
				starter, viewer := session, other
				if !startedInSession {
					starter, viewer = other, session
				}
				secs := uniqueSleep()
				starter.runDetached(t, "--name", "cnt", busyboxRef, "sleep", secs)
				starter.waitForState(t, "cnt", "running")
				assert.Equal(t, "running", viewer.psEntryNamed(t, "cnt").State)
				assert.Equal(t, "hello\n", viewer.urun(t, "exec", "cnt", "echo", "hello").ok(t))
				viewer.urun(t, "rm", "-f", "cnt").ok(t)
				assert.Empty(t, waitNoProcesses(defaultTimeout/4, "sleep", secs))
				assert.Empty(t, starter.ps(t, "-a"))
			})
		}
	}
}

// A Slurm job on this node (srun passes the caller's environment on,
// with the login node's XDG_RUNTIME_DIR) manages the containers of the
// user's login session here, and what the job runs in the foreground is
// gone with it.
func TestASlurmJobSeesTheLoginSessionsContainers(t *testing.T) {
	requireSlurm(t)
	session, _ := sessionAnd(t, nil)
	secs := uniqueSleep()
	session.runDetached(t, "--name", "cnt", busyboxRef, "sleep", secs)
	session.waitForState(t, "cnt", "running")

	job := &env{}
	*job = *session
	missing := "XDG_RUNTIME_DIR=" + filepath.Join(mkTemp(t), "login-node-run")
	job.vars = append(slicesClone(session.vars), missing)
	out := job.slurm(t, "srun", job.urunLine("ps", "--format", "{{.Names}} {{.State}}")...).ok(t)
	assert.Equal(t, "cnt running\n", out, "the job lists the session's container")
	assert.Equal(t, "inside\n", job.slurm(t, "srun", job.urunLine("exec", "cnt", "echo", "inside")...).ok(t))
	job.slurm(t, "srun", job.urunLine("run", "--rm", "--name", "fromjob", busyboxRef, "true")...).ok(t)
	job.slurm(t, "srun", job.urunLine("rm", "-f", "cnt")...).ok(t)
	assert.Empty(t, waitNoProcesses(defaultTimeout/4, "sleep", secs))
	assert.Empty(t, session.ps(t, "-a"), "the session sees what the job did")
}

// In the VM the test user has what logind gives: /run/user/UID (linger).
// A command without XDG_RUNTIME_DIR on a fresh store uses it, as a login
// session there does, rather than urun's fallback under /tmp.
func TestVMWithoutXDGRuntimeDirTheRunRootIsTheUsersLogindDirectory(t *testing.T) {
	inVM(t)
	login := "/run/user/" + strconv.Itoa(os.Getuid())
	st, err := os.Stat(login)
	require.NoError(t, err, "logind made the test user's runtime directory (linger)")
	require.True(t, st.IsDir())
	for _, v := range noSessionVariants {
		t.Run(v.name, func(t *testing.T) {
			e := newEnvWith(t, envOptions{defaultRunRoot: true})
			e.vars = append(e.vars, v.vars...)
			e.vars = append(e.vars, "DBUS_SESSION_BUS_ADDRESS=")
			out := e.urun(t, "info", "--format", "{{.Store.RunRoot}}").ok(t)
			assert.Equal(t, filepath.Join(login, "urun"), strings.TrimSpace(out))
		})
	}
}
