package cgroupv2

import "fmt"

// Options say how a container gets a cgroup of its own.
type Options struct {
	// Manager is --cgroup-manager: "" (choose), systemd, cgroupfs, none.
	Manager string `json:"manager,omitempty"`
	// Disabled is --cgroups=disabled.
	Disabled bool `json:"disabled,omitempty"`
	// HostNS is --cgroupns=host: the container sees the host's cgroup
	// hierarchy instead of a cgroup namespace rooted at its own cgroup.
	HostNS bool `json:"host_ns,omitempty"`
	// Writable mounts /sys/fs/cgroup read-write inside (--privileged).
	Writable bool `json:"writable,omitempty"`
	// Parent is --cgroup-parent (see CheckParent).
	Parent string `json:"parent,omitempty"`
}

// ParseOptions checks --cgroup-manager, --cgroups and --cgroupns.
func ParseOptions(manager, cgroups, cgroupns string) (Options, error) {
	var o Options
	switch manager {
	case "", ManagerSystemd, ManagerCgroupfs, ManagerNone:
		o.Manager = manager
	default:
		return o, fmt.Errorf("--cgroup-manager %s: want systemd, cgroupfs or none", manager)
	}
	switch cgroups {
	case "", "enabled":
	case "disabled":
		o.Disabled = true
	default:
		return o, fmt.Errorf("--cgroups %s: want enabled or disabled", cgroups)
	}
	switch cgroupns {
	case "", "private":
	case "host":
		o.HostNS = true
	default:
		return o, fmt.Errorf("--cgroupns %s: want private or host", cgroupns)
	}
	return o, nil
}
