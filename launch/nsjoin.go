package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/network"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
)

// namespaceJoin is what a container sharing another container's IPC, PID
// or UTS namespace (--ipc, --pid, --uts container:NAME) enters: that
// container's user namespace (a namespace can only be entered from the
// user namespace that owns it, so the two share it, as with --network
// container:NAME) and the namespaces named.
type namespaceJoin struct {
	userns, ipc, uts, pid *os.File
	// shmFrom and shmDir: init mounts the other container's /dev/shm
	// (in its mount namespace shmFrom) on shmDir, the container's
	// sharedShmDir (see stage.Create.ShmFrom).
	shmFrom, shmDir *os.File
}

func (j *namespaceJoin) apply(ns *stage.Container) {
	if ns.UserNS == nil {
		ns.UserNS = j.userns
	}
	ns.IPCNS, ns.UTSNS, ns.PIDNS = j.ipc, j.uts, j.pid
	ns.ShmFrom, ns.ShmDir = j.shmFrom, j.shmDir
}

func (j *namespaceJoin) close() {
	if j == nil {
		return
	}
	for _, f := range []*os.File{j.userns, j.ipc, j.uts, j.pid, j.shmFrom, j.shmDir} {
		if f != nil {
			f.Close()
		}
	}
}

// namespaceModes are the container's modes that may name another
// container, with their flags.
func namespaceModes(k spec.Kernel) []struct{ flag, mode string } {
	return []struct{ flag, mode string }{{"--ipc", k.IPC}, {"--pid", k.PID}, {"--uts", k.UTS}}
}

// resolveJoinedContainers records the containers that --ipc, --pid and
// --uts container:NAME name by their ids, so that `urun start` joins the
// same ones whatever is renamed meanwhile. Each must exist; it need only
// run when the container starts.
func resolveJoinedContainers(cfg *config.Config, k *spec.Kernel) error {
	if !k.JoinsContainer() {
		return nil
	}
	list, err := containers.List(cfg)
	if err != nil {
		return err
	}
	for _, m := range []struct {
		flag string
		mode *string
	}{{"--ipc", &k.IPC}, {"--pid", &k.PID}, {"--uts", &k.UTS}} {
		ref := spec.JoinedContainer(*m.mode)
		if ref == "" {
			continue
		}
		other, err := containers.Find(list, ref)
		if err != nil {
			return fmt.Errorf("%s %s: %w", m.flag, *m.mode, err)
		}
		*m.mode = spec.ContainerMode(other.ID)
	}
	return nil
}

// joinContainerNamespaces opens the namespaces of the running container
// that --ipc, --pid and --uts container:NAME name, nil when none does.
// All must name one container, and the one of --network container:NAME
// if given: the container enters its user namespace.
func (c *container) joinContainerNamespaces() (*namespaceJoin, error) {
	k := c.settings.Kernel
	if !k.JoinsContainer() {
		return nil, nil
	}
	list, err := containers.List(c.cfg)
	if err != nil {
		return nil, err
	}
	var other containers.Container
	// first is the first flag that names other, as the user knows it
	// (the settings keep its id).
	var first string
	named := func(flag, ref string) error {
		o, err := containers.Find(list, ref)
		if err != nil {
			return fmt.Errorf("%s %s: %w", flag, spec.ContainerMode(ref), err)
		}
		given := flag + " " + spec.ContainerMode(o.Name)
		if first == "" {
			other, first = o, given
			return nil
		}
		if o.ID != other.ID {
			return fmt.Errorf("%s and %s name different containers: a container can share the namespaces of one other container only (it enters that container's user namespace); name the same one", first, given)
		}
		return nil
	}
	if m := c.settings.Network; m.Kind == network.KindContainer {
		if err := named("--network", m.Container); err != nil {
			return nil, err
		}
	}
	for _, n := range namespaceModes(k) {
		if ref := spec.JoinedContainer(n.mode); ref != "" {
			if err := named(n.flag, ref); err != nil {
				return nil, err
			}
		}
	}
	if c.settings.Network.Kind == network.KindNetworks {
		return nil, fmt.Errorf("%s with --network %s: a container on urun's networks has a user namespace of its own and cannot enter container %s's; give --network container:%s (or slirp4netns, pasta, none, host)", first, c.settings.Network.Networks[0].Name, other.Name, other.Name)
	}
	if !other.Running {
		return nil, fmt.Errorf("%s: container %s is not running: start it first", first, other.Name)
	}
	initPID, err := containers.InitPID(other.Dir)
	if err != nil {
		return nil, fmt.Errorf("%s: container %s is not running: start it first", first, other.Name)
	}
	pid, err := containers.NamespacePID(initPID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", first, err)
	}
	if ref := spec.JoinedContainer(k.IPC); ref != "" {
		if err := checkShareableIPC(c.cfg, other); err != nil {
			return nil, err
		}
	}
	for _, n := range []struct{ flag, mode, ns string }{{"--ipc", k.IPC, "ipc"}, {"--pid", k.PID, "pid"}, {"--uts", k.UTS, "uts"}} {
		if spec.JoinedContainer(n.mode) != "" && sharesOurNamespace(pid, n.ns) {
			// Only the host's user namespace may enter it; as a
			// container of the host's, this one may have it.
			return nil, fmt.Errorf("%s container:%s: that container has the host's %s namespace (%s host): give %s host", n.flag, other.Name, strings.ToUpper(n.ns), n.flag, n.flag)
		}
	}
	j := &namespaceJoin{}
	open := func(f **os.File, name string) error {
		var err error
		if *f, err = os.Open(fmt.Sprintf("/proc/%d/ns/%s", pid, name)); err != nil {
			return fmt.Errorf("open the %s namespace of container %s: %w", name, other.Name, err)
		}
		return nil
	}
	files := []struct {
		f    **os.File
		name string
		want bool
	}{
		{&j.userns, "user", true},
		{&j.ipc, "ipc", spec.JoinedContainer(k.IPC) != ""},
		{&j.shmFrom, "mnt", spec.JoinedContainer(k.IPC) != "" && !userMountsOver(c.spec.Mounts, "/dev/shm")},
		{&j.uts, "uts", spec.JoinedContainer(k.UTS) != ""},
		{&j.pid, "pid", spec.JoinedContainer(k.PID) != ""},
	}
	for _, f := range files {
		if f.want {
			if err := open(f.f, f.name); err != nil {
				j.close()
				return nil, err
			}
		}
	}
	if j.shmFrom != nil {
		dir := c.sharedShmDir()
		if err := os.MkdirAll(dir, 0o755); err != nil {
			j.close()
			return nil, fmt.Errorf("create the mount point of container %s's /dev/shm: %w", other.Name, err)
		}
		if j.shmDir, err = os.Open(dir); err != nil {
			j.close()
			return nil, fmt.Errorf("open the mount point of container %s's /dev/shm: %w", other.Name, err)
		}
	}
	if j.uts != nil {
		// Its host name is the other container's: so is /etc/hostname.
		if name, err := os.ReadFile(containers.EtcFilePath(other.Dir, "hostname")); err == nil {
			c.spec.Hostname = strings.TrimSpace(string(name))
		}
	}
	return j, nil
}

// checkShareableIPC refuses, as Docker does, to join the IPC namespace of
// a container that was not made to share it: run with --ipc shareable
// (or host, or another's).
func checkShareableIPC(cfg *config.Config, other containers.Container) error {
	settings, err := containers.ReadSettings(cfg, other.State)
	if err != nil {
		return fmt.Errorf("read the settings of container %s: %w", other.Name, err)
	}
	mode := settings.Kernel.IPC
	if mode == "shareable" || mode == "host" || spec.JoinedContainer(mode) != "" {
		return nil
	}
	return errors.New("--ipc container:" + other.Name + ": container " + other.Name + " has a non-shareable IPC namespace: run it with --ipc shareable")
}

// sharesOurNamespace says whether process pid is in urun's own
// namespace ns ("ipc", "pid", "uts").
func sharesOurNamespace(pid int, ns string) bool {
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
	if err != nil {
		return false
	}
	ours, err := os.Readlink("/proc/self/ns/" + ns)
	return err == nil && ours == theirs
}

// sharedShmDir is where init mounts the /dev/shm of the container whose
// IPC namespace this one shares, in its own mount namespace only.
func (c *container) sharedShmDir() string {
	return filepath.Join(c.stateDir, "shm")
}

// sharedShmMounts is the container's /dev/shm when it is another
// container's (--ipc container:NAME): a bind of what init mounted on
// sharedShmDir.
func (c *container) sharedShmMounts() []specs.Mount {
	if spec.JoinedContainer(c.settings.Kernel.IPC) == "" || userMountsOver(c.spec.Mounts, "/dev/shm") {
		return nil
	}
	return []specs.Mount{{Destination: "/dev/shm", Type: "bind", Source: c.sharedShmDir(), Options: []string{"rbind", "nosuid", "noexec", "nodev"}}}
}
