package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestVMUpdateChangesTheLimitsOfARunningContainerAndARestartKeepsThem(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", "-m", "32m", busyboxRef, "sleep", "600").ok(t))
	t.Cleanup(func() { e.urun(t, "rm", "-f", id) })
	limits := func() []string {
		return lines(e.urun(t, "exec", id, "cat", "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/pids.max").ok(t))
	}
	assert.Equal(t, []string{"33554432", "max"}, limits())

	assert.Equal(t, id+"\n", e.urun(t, "update", "--memory", "64m", "--pids-limit", "40", id).ok(t))
	assert.Equal(t, []string{"67108864", "40"}, limits(), "applied to the running container at once")
	assert.Equal(t, "67108864 40\n", e.urun(t, "inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.PidsLimit}}", id).ok(t))

	e.urun(t, "restart", "-t", "1", id).ok(t)
	assert.Equal(t, []string{"67108864", "40"}, limits(), "kept across a restart")

	e.urun(t, "update", "--pids-limit", "-1", id).ok(t)
	assert.Equal(t, []string{"67108864", "max"}, limits(), "a limit lifted")
}
