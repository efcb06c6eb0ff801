package launch

import (
	"errors"
	"fmt"
	"os/exec"
	"slices"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// cgroupPlan is what start does about the container's cgroup.
type cgroupPlan struct {
	manager cgroupv2.Manager
	files   map[string]string
	// placed: the stage starts in the cgroup (Preparer).
	placed bool
	// noCgroup says why the container gets no cgroup though it did not
	// ask for none; "" otherwise.
	noCgroup string
}

// planCgroup turns the flags into files and picks the manager. It runs at
// create time, to fail before anything is made, and at each start, since
// the host may have changed (device numbers, a login without the bus).
func planCgroup(res cgroupv2.Flags, o cgroupv2.Options) (cgroupPlan, error) {
	files, err := res.Files()
	if err != nil {
		return cgroupPlan{}, err
	}
	r := cgroupv2.Request{Manager: o.Manager, Disabled: o.Disabled, Limits: len(files) > 0, Parent: o.Parent}
	// Nothing to detect when nothing is wanted.
	if r.Disabled || r.Manager == cgroupv2.ManagerNone {
		_, err := cgroupv2.Choose(r, cgroupv2.Host{})
		return cgroupPlan{}, err
	}
	host, err := cgroupv2.DetectHost()
	if err != nil && host.Mode == cgroupv2.Unified && r.Limits {
		return cgroupPlan{}, err
	}
	name, err := cgroupv2.Choose(r, host)
	if err != nil {
		return cgroupPlan{}, err
	}
	return cgroupPlan{manager: cgroupv2.NewIn(name, host, o.Parent), files: files, noCgroup: cgroupv2.NoCgroupReason(r, host, name)}, nil
}

// prepareCgroup makes the container's cgroup before the namespace stage
// exists where the manager can (cgroupfs): cmd then starts in it. done
// closes what cmd needed, once started.
//
// The stage (the small C monitor) is in the cgroup with init and the
// command: it holds no memory to speak of. The detached container's Go
// monitor, which supervises and logs, stays outside, as conmon does, so
// that the container's limits and OOM kills do not reach it.
func (c *container) prepareCgroup(cmd *exec.Cmd) (plan cgroupPlan, done func(), err error) {
	done = func() {}
	c.state.Cgroup = ""
	plan, err = planCgroup(c.settings.Resources, c.settings.Cgroups)
	if err != nil || plan.manager == nil {
		return plan, done, err
	}
	prep, ok := plan.manager.(cgroupv2.Preparer)
	if !ok {
		return plan, done, nil
	}
	cg, dir, err := prep.Prepare(c.id, plan.files)
	if cg != nil {
		c.cgroup = cg
	}
	if err != nil {
		return plan, done, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: int(dir.Fd())}
	plan.placed = true
	c.state.Cgroup = cg.Path()
	trace.Mark("host", "cgroup made")
	return plan, func() { dir.Close() }, nil
}

// placeCgroup puts the namespace stage, which waits for Continue and has
// forked nothing yet, into the container's cgroup, unless it started
// there: init, the command and all they start are then inside.
func (c *container) placeCgroup(plan cgroupPlan, p *stage.Process) error {
	if plan.manager == nil || plan.placed {
		return nil
	}
	cg, err := plan.manager.Place(c.id, p.Cmd.Process.Pid, plan.files)
	if cg != nil {
		c.cgroup = cg
	}
	var unavailable *cgroupv2.UnavailableError
	if errors.As(err, &unavailable) && len(plan.files) == 0 && c.settings.Cgroups.Manager == "" && c.settings.Cgroups.Parent == "" {
		// Nothing was asked of cgroups: a session bus that is not
		// systemd's must not stop the container.
		return nil
	}
	if err != nil {
		return err
	}
	// In the record, for what reads the cgroup later (stats, exec).
	c.state.Cgroup = cg.Path()
	trace.Mark("host", "cgroup made")
	return nil
}

// cgroupMounts mount the container's own cgroup at /sys/fs/cgroup, when
// it has one and its own cgroup namespace: what Docker does on cgroup v2.
// Where /sys is the host's, bound (--network host), a tmpfs goes first:
// the kernel refuses cgroup2 right on the host's cgroup2 mount, the same
// file system on the same mount point.
//
// With --cgroupns host the host's hierarchy is bound read-only instead,
// as podman does rootless: a user namespace may not mount the cgroup2 of
// the host's cgroup namespace.
func (c *container) cgroupMounts(mounts []specs.Mount) []specs.Mount {
	if c.cgroup == nil {
		return nil
	}
	hostSys := false
	for _, m := range mounts {
		hostSys = hostSys || (m.Destination == "/sys" && m.Type == "bind")
	}
	if c.settings.Cgroups.HostNS {
		if hostSys {
			return nil // the host's /sys has it
		}
		return []specs.Mount{{Destination: "/sys/fs/cgroup", Type: "bind", Source: cgroupv2.Root, Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}}
	}
	opts := []string{"nosuid", "noexec", "nodev"}
	if !c.settings.Cgroups.Writable {
		opts = append(opts, "ro")
	}
	if c.cgroup.V1() {
		// Root on a v1 host: the v1 hierarchies, each rooted at the
		// container's cgroup by its namespace, on a tmpfs, as Docker
		// mounts them; not the host's cgroup2 of the hybrid layout.
		out := []specs.Mount{{Destination: "/sys/fs/cgroup", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "noexec", "nodev", "size=4k", "mode=755"}}}
		for _, h := range cgroupv2.V1Hierarchies() {
			out = append(out, specs.Mount{Destination: "/sys/fs/cgroup/" + h.Name, Type: "cgroup", Source: "cgroup", Options: append(slices.Clone(opts), h.Options)})
		}
		return out
	}
	var out []specs.Mount
	if hostSys {
		out = append(out, specs.Mount{Destination: "/sys/fs/cgroup", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "noexec", "nodev", "size=4k", "mode=755"}})
	}
	return append(out, specs.Mount{Destination: "/sys/fs/cgroup", Type: "cgroup2", Source: "cgroup2", Options: opts})
}

// closeCgroup removes the container's cgroup (and scope) once it ended
// and notes whether its memory limit killed a process.
func (c *container) closeCgroup() {
	if c.cgroup == nil {
		return
	}
	kills, err := c.cgroup.Close()
	c.cgroup = nil
	c.oomKilled = kills > 0
	if err != nil {
		fmt.Fprintf(c.stderr, "urun: %v\n", err)
	}
}
