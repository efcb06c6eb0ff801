package launch

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/containers"
)

func TestTheContainersOwnCgroupIsMountedReadOnlyUnlessPrivileged(t *testing.T) {
	cg := &cgroupv2.Cgroup{Dir: "/sys/fs/cgroup/user.slice/x.scope/container"}
	sysfs := []specs.Mount{{Destination: "/sys", Type: "sysfs", Source: "sysfs"}}
	hostSys := []specs.Mount{{Destination: "/sys", Type: "bind", Source: "/sys"}}
	ro := []string{"nosuid", "noexec", "nodev", "ro"}
	for _, c := range []struct {
		name   string
		cgroup *cgroupv2.Cgroup
		opts   cgroupv2.Options
		mounts []specs.Mount
		want   []string // types mounted at /sys/fs/cgroup
		opt    []string // the cgroup2 mount's options
	}{
		{"no cgroup of its own", nil, cgroupv2.Options{}, sysfs, nil, nil},
		{"--cgroupns host: the host's, bound", cg, cgroupv2.Options{HostNS: true}, sysfs, []string{"bind"}, nil},
		{"--cgroupns host with the host's /sys", cg, cgroupv2.Options{HostNS: true}, hostSys, nil, nil},
		{"private", cg, cgroupv2.Options{}, sysfs, []string{"cgroup2"}, ro},
		{"--privileged", cg, cgroupv2.Options{Writable: true}, sysfs, []string{"cgroup2"}, []string{"nosuid", "noexec", "nodev"}},
		{"the host's /sys: a tmpfs under it", cg, cgroupv2.Options{}, hostSys, []string{"tmpfs", "cgroup2"}, ro},
	} {
		t.Run(c.name, func(t *testing.T) {
			ct := &container{cgroup: c.cgroup, settings: containers.Settings{Cgroups: c.opts}}
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
