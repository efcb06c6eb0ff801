package launch

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/cgroupv2"
)

func TestCgroupFlagsAreChecked(t *testing.T) {
	for _, c := range []struct {
		manager, cgroups, ns string
		want                 CgroupOptions
	}{
		{"", "enabled", "private", CgroupOptions{}},
		{"systemd", "", "", CgroupOptions{Manager: "systemd"}},
		{"cgroupfs", "enabled", "host", CgroupOptions{Manager: "cgroupfs", HostNS: true}},
		{"none", "disabled", "private", CgroupOptions{Manager: "none", Disabled: true}},
	} {
		got, err := ParseCgroupOptions(c.manager, c.cgroups, c.ns)
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
	}
	for _, bad := range []struct{ manager, cgroups, ns, msg string }{
		{"cgmanager", "", "", "--cgroup-manager cgmanager: want systemd, cgroupfs or none"},
		{"", "split", "", "--cgroups split: want enabled or disabled"},
		{"", "", "shared", "--cgroupns shared: want private or host"},
	} {
		_, err := ParseCgroupOptions(bad.manager, bad.cgroups, bad.ns)
		assert.EqualError(t, err, bad.msg)
	}
}

func TestTheContainersOwnCgroupIsMountedReadOnlyUnlessPrivileged(t *testing.T) {
	cg := &cgroupv2.Cgroup{Dir: "/sys/fs/cgroup/user.slice/x.scope/container"}
	sysfs := []specs.Mount{{Destination: "/sys", Type: "sysfs", Source: "sysfs"}}
	hostSys := []specs.Mount{{Destination: "/sys", Type: "bind", Source: "/sys"}}
	ro := []string{"nosuid", "noexec", "nodev", "ro"}
	for _, c := range []struct {
		name   string
		cgroup *cgroupv2.Cgroup
		opts   CgroupOptions
		mounts []specs.Mount
		want   []string // types mounted at /sys/fs/cgroup
		opt    []string // the cgroup2 mount's options
	}{
		{"no cgroup of its own", nil, CgroupOptions{}, sysfs, nil, nil},
		{"--cgroupns host: the host's, bound", cg, CgroupOptions{HostNS: true}, sysfs, []string{"bind"}, nil},
		{"--cgroupns host with the host's /sys", cg, CgroupOptions{HostNS: true}, hostSys, nil, nil},
		{"private", cg, CgroupOptions{}, sysfs, []string{"cgroup2"}, ro},
		{"--privileged", cg, CgroupOptions{Writable: true}, sysfs, []string{"cgroup2"}, []string{"nosuid", "noexec", "nodev"}},
		{"the host's /sys: a tmpfs under it", cg, CgroupOptions{}, hostSys, []string{"tmpfs", "cgroup2"}, ro},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct := &container{cgroup: c.cgroup, settings: Settings{Cgroups: c.opts}}
			var types []string
			for _, m := range ct.cgroupMounts(c.mounts) {
				assert.Equal(t, "/sys/fs/cgroup", m.Destination)
				types = append(types, m.Type)
				if m.Type == "cgroup2" {
					assert.Equal(t, c.opt, m.Options)
				}
			}
			assert.Equal(t, c.want, types)
		})
	}
}
