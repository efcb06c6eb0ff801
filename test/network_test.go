package test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// netView runs a container that prints its network namespace and
// /proc/net/dev.
func netView(t *testing.T, e *env, flags ...string) (ns string, ifaces []string) {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "sh", "-c", "readlink /proc/self/ns/net && cat /proc/net/dev")
	ls := lines(e.urun(t, args...).ok(t))
	require.NotEmpty(t, ls)
	return ls[0], netDevNames(strings.Join(ls[1:], "\n"))
}

func TestRunNetworkNoneHasOnlyLoopback(t *testing.T) {
	e := sharedStore(t)
	ns, ifaces := netView(t, e, "--network", "none")
	assert.Equal(t, []string{"lo"}, ifaces)
	assert.NotEqual(t, hostNetNS(t), ns, "the container has its own network namespace")
}

func TestRunNetworkHostSeesHostInterfaces(t *testing.T) {
	e := sharedStore(t)
	hostDev, err := os.ReadFile("/proc/net/dev")
	require.NoError(t, err)
	want := netDevNames(string(hostDev))
	slices.Sort(want)
	ns, ifaces := netView(t, e, "--network", "host")
	slices.Sort(ifaces)
	assert.Equal(t, hostNetNS(t), ns, "the container shares the host's network namespace")
	assert.Equal(t, want, ifaces)
}
