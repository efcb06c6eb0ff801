package inside

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/rootfs"
	"github.com/urun/urun/spec"
)

// setSysctls writes the container's sysctls (spec.ParseSysctl let only
// namespaced ones through) into its /proc/sys, before that is made
// read-only. Each is written by root of the container's user namespace,
// which owns the namespaces they belong to.
func setSysctls(sysctls map[string]string) error {
	for key, value := range sysctls {
		path := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
		if err := os.WriteFile(path, []byte(value), 0); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("sysctl %s: this kernel has no such setting (%s)", key, path)
			}
			return fmt.Errorf("set sysctl %s=%s: %w", key, value, err)
		}
	}
	return nil
}

// setRlimits sets the process's resource limits before exec, which keeps
// them. syscall's Setrlimit, not unix's: Go would otherwise put its own
// start's RLIMIT_NOFILE back at exec.
func setRlimits(limits []specs.POSIXRlimit) error {
	for _, l := range limits {
		n, ok := spec.RlimitNumber(l.Type)
		if !ok {
			return fmt.Errorf("unknown resource limit %s", l.Type)
		}
		if err := syscall.Setrlimit(n, &syscall.Rlimit{Cur: l.Soft, Max: l.Hard}); err != nil {
			if errors.Is(err, unix.EPERM) {
				return fmt.Errorf("set --ulimit %s=%d:%d: %w: a rootless container cannot raise a hard limit above yours (see ulimit -H)", strings.ToLower(strings.TrimPrefix(l.Type, "RLIMIT_")), l.Soft, l.Hard, err)
			}
			return fmt.Errorf("set resource limit %s: %w", l.Type, err)
		}
	}
	return nil
}

// supplementaryGroups are the groups the process is in, as Docker gives
// them: its primary group first (so that getgroups lists it, as with
// Docker since CVE-2022-36109's fix), the groups that list its user, then
// --group-add's, by gid or by name in the container's /etc/group.
func supplementaryGroups(u ExecUser, groupAdd []string) ([]uint32, error) {
	groups := []uint32{u.GID}
	add := func(gid uint32) {
		if !slices.Contains(groups, gid) {
			groups = append(groups, gid)
		}
	}
	for _, g := range u.Groups {
		add(g)
	}
	if len(groupAdd) == 0 {
		return groups, nil
	}
	data, _ := os.ReadFile("/etc/group")
	entries := parseGroup(bytes.NewReader(data))
	for _, name := range groupAdd {
		if gid, err := parseID(name); err == nil {
			add(gid)
			continue
		}
		found := false
		for _, e := range entries {
			if e.name == name {
				add(e.gid)
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("--group-add %s: no such group in the container's /etc/group: give a gid, or a group the image has", name)
		}
	}
	return groups, nil
}

// groupAddOf reads --group-add from the spec's annotations.
func groupAddOf(annotations map[string]string) []string {
	v := annotations[spec.GroupAddAnnotation]
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// mountImages mounts each --mount type=image's layers as an overlay at
// its destination in the rootfs, with the driver of the rootfs.
func mountImages(driver rootfs.Driver, root string, mounts []spec.ImageMount) error {
	for _, m := range mounts {
		dest, err := securejoin.SecureJoin(root, m.Destination)
		if err != nil {
			return fmt.Errorf("resolve mount destination %s: %w", m.Destination, err)
		}
		if err := os.MkdirAll(dest, 0o755); err != nil {
			return fmt.Errorf("create mount point %s: %w", m.Destination, err)
		}
		layers := rootfs.Layers{Lower: m.Lower, Dir: m.LinkDir, Upper: m.Upper, Work: m.Work}
		if err := driver.Mount(layers, dest); err != nil {
			return fmt.Errorf("mount the image's layers on %s (--mount type=image): %w", m.Destination, err)
		}
	}
	return nil
}

// ownsUTS says whether the container has a UTS namespace of its own; a
// config without namespaces (an older urun's) has.
func ownsUTS(namespaces []specs.LinuxNamespace) bool {
	if len(namespaces) == 0 {
		return true
	}
	return slices.ContainsFunc(namespaces, func(n specs.LinuxNamespace) bool { return n.Type == specs.UTSNamespace })
}
