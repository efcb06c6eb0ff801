package cgroupv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCgroupFlagsAreChecked(t *testing.T) {
	for _, c := range []struct {
		manager, cgroups, ns string
		want                 Options
	}{
		{"", "enabled", "private", Options{}},
		{"systemd", "", "", Options{Manager: "systemd"}},
		{"cgroupfs", "enabled", "host", Options{Manager: "cgroupfs", HostNS: true}},
		{"none", "disabled", "private", Options{Manager: "none", Disabled: true}},
	} {
		got, err := ParseOptions(c.manager, c.cgroups, c.ns)
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
	for _, bad := range []struct{ manager, cgroups, ns, msg string }{
		{"cgmanager", "", "", "--cgroup-manager cgmanager: want systemd, cgroupfs or none"},
		{"", "split", "", "--cgroups split: want enabled or disabled"},
		{"", "", "shared", "--cgroupns shared: want private or host"},
	} {
		_, err := ParseOptions(bad.manager, bad.cgroups, bad.ns)
		assert.EqualError(t, err, bad.msg)
	}
}
