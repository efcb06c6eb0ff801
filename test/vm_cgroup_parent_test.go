package test

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVMCgroupParentPlacesTheContainersCgroup runs containers with
// --cgroup-parent: a slice of the user's systemd manager, and a path in
// the delegated cgroup urun runs in; with --cgroupns host the container
// sees where its cgroup is.
func TestVMCgroupParentPlacesTheContainersCgroup(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	manager := strings.TrimPrefix(userManagerCgroup(), "/sys/fs/cgroup")

	out := e.urun(t, "run", "--rm", "--cgroupns", "host", "-m", "64m", "--cgroup-parent", "urunparent.slice", busyboxRef, "cat", "/proc/self/cgroup").ok(t)
	assert.Regexp(t, "^0::"+regexp.QuoteMeta(manager+"/urunparent.slice/urun-")+`[0-9a-f]{64}\.scope/container\n$`, out, "a scope in the slice")

	// urun in a transient scope with Delegate=yes, which systemd does
	// not mark delegated (no user.delegate): with --cgroup-manager
	// cgroupfs a relative path is made in it.
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "run", "--rm", "--cgroupns", "host", "--cgroup-manager", "cgroupfs", "--cgroup-parent", "jobs/batch", busyboxRef, "cat", "/proc/self/cgroup")
	systemdRun, err := exec.LookPath("systemd-run")
	require.NoError(t, err)
	cmd.Args = append([]string{systemdRun, "--user", "--scope", "--quiet", "-p", "Delegate=yes", cmd.Path}, cmd.Args[1:]...)
	cmd.Path = systemdRun
	var stderr strings.Builder
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	require.NoError(t, err, "urun in a delegated scope: %s%s", got, stderr.String())
	assert.Regexp(t, `^0::/user\.slice/.*\.scope/jobs/batch/urun-[0-9a-f]{64}\n$`, string(got), "a child of the path, made in urun's own delegated cgroup")

	res := e.urun(t, "run", "--rm", "--cgroup-parent", "jobs", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "is not in a cgroup delegated to you")
	res = e.urun(t, "run", "--rm", "--cgroup-manager", "cgroupfs", "--cgroup-parent", "/user.slice", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "is not in a cgroup delegated to you", "a cgroup the user may not write")
}
