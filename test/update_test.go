package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestUpdateRestartPolicyWorksEverywhereAndLimitsSayWhyNot(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "upd", busyboxRef, "true").ok(t)

	assert.Equal(t, "upd\n", e.urun(t, "update", "--restart", "on-failure:2", "upd").ok(t))
	assert.Equal(t, "on-failure 2\n", e.urun(t, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}}", "upd").ok(t))
	assert.Equal(t, []string{"upd"}, lines(e.urun(t, "ps", "-a", "--filter", "restart-policy=on-failure", "--format", "{{.Names}}").ok(t)))

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"update", "upd"}, "you must provide one or more flags"},
		{[]string{"update", "--restart", "sometimes", "upd"}, "sometimes"},
		{[]string{"update", "--memory", "1k", "upd"}, "the smallest memory limit is 6MB"},
		{[]string{"update", "--restart", "always", "nosuch"}, "nosuch"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			res := e.urun(t, c.args...)
			assert.NotEqual(t, 0, res.code, res.describe())
			assert.Contains(t, res.stderr, c.want)
		})
	}

	t.Run("--rm refuses a restart policy", func(t *testing.T) {
		e.urun(t, "create", "--rm", "--name", "upd-rm", busyboxRef, "true").ok(t)
		res := e.urun(t, "update", "--restart", "always", "upd-rm")
		assert.NotEqual(t, 0, res.code)
		assert.Contains(t, res.stderr, "--rm")
	})

	t.Run("limits on a host without cgroup v2", func(t *testing.T) {
		notCgroupV2(t)
		e.runDetached(t, "--name", "upd-running", busyboxRef, "sleep", "30")
		for _, ref := range []string{"upd", "upd-running"} {
			res := e.urun(t, "update", "--memory", "64m", "--pids-limit", "50", ref)
			assert.NotEqual(t, 0, res.code, res.describe())
			assert.Contains(t, res.stderr, needV2, "the reason, as run gives it")
			assert.Equal(t, "0 <nil>\n", e.urun(t, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", ref).ok(t), "nothing was recorded")
		}
	})
}
