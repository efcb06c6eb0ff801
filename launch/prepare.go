package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// start makes the run state directory and locks it (unless this urun
// already holds the lock), checks the network (free host ports, helpers
// installed) and spawns the namespace stage, which waits for Continue.
func (c *container) start(io streams) (*stage.Process, error) {
	if c.lock == nil {
		if err := c.makeStateDir(); err != nil {
			return nil, err
		}
	}
	shared, err := c.joinContainerNamespaces()
	if err != nil {
		return nil, err
	}
	defer shared.close()
	join, err := c.prepareNetwork()
	if err != nil {
		return nil, err
	}
	// The stage gets its own copies of the namespaces.
	defer join.close()
	ns := stage.Container{TinyInit: c.settings.Init}
	if join != nil {
		join.apply(&ns)
	}
	if shared != nil {
		shared.apply(&ns)
	}
	if ns.UserNS == nil {
		if ns.Mappings, err = c.userNSMappings(); err != nil {
			return nil, err
		}
		trace.Mark("host", "id maps computed")
	} else if mode := c.spec.Annotations[spec.UserNSAnnotation]; mode != "" && mode != spec.UserNSHost {
		return nil, fmt.Errorf("--userns %s: the container enters another user namespace (that of urun's networks, or of --network container:NAME): use --network slirp4netns, pasta, none or host with it", mode)
	}
	req := stage.ContainerRequest{Config: containers.RunConfigPath(c.stateDir)}
	if c.net != nil {
		req.PortChild = c.net.PortChildRequest()
		ns.PortChild = req.PortChild != nil
	}
	command := stage.Command
	if ns.PortChild {
		command = stage.UrunCommand
	}
	cmd, err := command(stage.Init)
	if err != nil {
		return nil, err
	}
	// For ps to show which container the waiter and init are.
	cmd.Args = append(cmd.Args, c.id)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = io.files()
	ns.Unshare = unshareFlags(c.spec)
	if c.settings.Network.OwnNetNS() {
		ns.Unshare |= unix.CLONE_NEWNET
	}
	if c.state.Remove {
		ns.RemoveOnExit = c.layerDir
	}
	// The waiter deletes what earlier, killed --rm containers left while
	// this one runs.
	ns.RemoveNow = containers.OrphanedTransientLayers(c.cfg)
	plan, done, err := c.prepareCgroup(cmd)
	if err != nil {
		return nil, err
	}
	// The waiter keeps the container's cgroup until urun has read how
	// many processes its memory limit killed.
	ns.ReportEnd = plan.manager != nil
	p, err := stage.Start(cmd, ns, req)
	done()
	if err != nil {
		return nil, err
	}
	if err := setOOMScoreAdj(p, c.spec); err != nil {
		p.Abort()
		return nil, err
	}
	if c.attacher != nil {
		c.attacher.request.KeepFD = p.KeptFD
	}
	if err := c.placeCgroup(plan, p); err != nil {
		p.Abort()
		return nil, err
	}
	return p, nil
}

// prepareNetwork readies the container's network before its stage
// starts: a helper's (slirp4netns, pasta), urun's networks (the user
// namespace to nest in), or another container's network namespace.
func (c *container) prepareNetwork() (*networkJoin, error) {
	m := c.settings.Network
	if m.Kind == network.KindContainer {
		return c.joinContainerNetwork()
	}
	if !m.Connected() {
		return nil, nil
	}
	netDir, err := c.networkDir()
	if err != nil {
		return nil, err
	}
	if m.Kind == network.KindNetworks {
		return c.connectNetworks(netDir)
	}
	c.net, err = network.New(m, netDir, c.settings.Ports)
	return nil, err
}

// makeStateDir creates and locks the run state directory. The state
// directory and its lock come before the layer (see
// containers.OrphanedTransientLayers), and no other urun sees it before it is locked
// (containers.CreateStateDir).
func (c *container) makeStateDir() error {
	lock, err := containers.CreateStateDir(c.stateDir)
	if err != nil {
		return err
	}
	c.ownsStateDir = true
	c.lock = lock
	return nil
}

// register creates the writable layer, keeps the settings beside it and
// writes the container's record with status. On failure the caller
// removes what was made.
func (c *container) register(status string) error {
	for _, m := range c.spec.Mounts {
		if m.Type == "bind" && m.Source != "/sys" {
			// Docker creates a missing host directory of a -v.
			if err := os.MkdirAll(m.Source, 0o755); err != nil && !errors.Is(err, unix.ENOTDIR) {
				return fmt.Errorf("create volume source %s: %w", m.Source, err)
			}
		}
	}
	for _, dir := range []string{filepath.Join(c.layerDir, "diff"), filepath.Join(c.layerDir, "work")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create container directory: %w", err)
		}
	}
	// A --rm container run in the foreground is never started again; one
	// with --ipc shareable keeps them for the containers that join it
	// (checkShareableIPC).
	if !c.state.Remove || c.state.Detached || c.settings.Kernel.IPC == "shareable" {
		if err := containers.WriteSettings(c.cfg, c.state, c.settings); err != nil {
			return err
		}
	}
	c.state.Status = status
	if status == containers.StatusRunning {
		c.state.StartedAt = time.Now().UTC()
		c.layerLock = containers.HoldLayer(c.layerDir)
	}
	err := containers.Register(c.cfg, c.stateDir, &c.state)
	// From here rmi sees the container's use of its image.
	c.releaseImage()
	if err != nil {
		return err
	}
	c.registered = true
	c.emit("create")
	if c.registeredHook != nil {
		return c.registeredHook(c.state.ID)
	}
	return nil
}

// writeRunState writes what init reads (config.json, hostname, hosts,
// resolv.conf) and, for a new container, its record. On failure the
// caller removes what was made.
func (c *container) writeRunState() (err error) {
	if !c.registered {
		if err := c.register(containers.StatusRunning); err != nil {
			return err
		}
	} else {
		st, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
			st.Status, st.StartedAt, st.Error, st.OOMKilled, st.Paused = containers.StatusRunning, time.Now().UTC(), "", false, false
			st.Cgroup = c.state.Cgroup
			return nil
		})
		if err != nil {
			return err
		}
		c.state = st
	}
	s := *c.spec
	s.Mounts = append([]specs.Mount(nil), c.spec.Mounts...)
	if err := os.MkdirAll(filepath.Join(c.stateDir, "rootfs"), 0o755); err != nil {
		return fmt.Errorf("create container directory: %w", err)
	}
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	resolv, err := namefiles.ResolvConf(c.settings.Network, hostResolv, c.settings.Names)
	if err != nil {
		return err
	}
	hosts, err := namefiles.Hosts(c.settings.Network, s.Hostname, c.settings.Names)
	if err != nil {
		return err
	}
	if c.sharedNetDir != "" {
		// The container whose network namespace it shares has the
		// addresses and the name servers; Docker copies its files.
		if hosts, err = os.ReadFile(containers.EtcFilePath(c.sharedNetDir, "hosts")); err != nil {
			return fmt.Errorf("read the shared container's /etc/hosts: %w", err)
		}
		if resolv, err = os.ReadFile(containers.EtcFilePath(c.sharedNetDir, "resolv.conf")); err != nil {
			return fmt.Errorf("read the shared container's /etc/resolv.conf: %w", err)
		}
	}
	s.Mounts = append(s.Mounts, c.cgroupMounts(s.Mounts)...)
	s.Mounts = append(s.Mounts, c.sharedShmMounts()...)
	var imageMounts []spec.ImageMount
	if s.Mounts, imageMounts, err = c.imageMounts(s.Mounts); err != nil {
		return err
	}
	files := map[string][]byte{"hostname": []byte(s.Hostname + "\n"), "hosts": hosts, "resolv.conf": resolv}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		path := containers.EtcFilePath(c.stateDir, name)
		if err := writeFile(path, files[name]); err != nil {
			return err
		}
		if userMountsOver(c.spec.Mounts, "/etc/"+name) {
			continue
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + name, Type: "bind", Source: path, Options: []string{"bind"}})
	}
	s.Root = &specs.Root{Path: filepath.Join(c.stateDir, "rootfs"), Readonly: s.Root != nil && s.Root.Readonly}
	// An image of a shared store may need another driver than the
	// caller's store (local.RootfsFor).
	choice, err := local.RootfsFor(c.image, c.cfg.GraphRoot, c.cfg.RootfsDriver)
	if err != nil {
		return err
	}
	if choice.Notice != "" {
		fmt.Fprintln(c.stderr, "urun:", choice.Notice)
	}
	lower, linkDir := c.image.LowerDirs()
	filter, err := seccompFilter(c.cfg, &s)
	if err != nil {
		return err
	}
	cc := spec.Container{
		Seccomp:     filter,
		ID:          c.id,
		Spec:        &s,
		WaitForHost: c.net != nil,
		CgroupNS:    c.cgroup != nil && !c.settings.Cgroups.HostNS,
		Volumes:     c.state.Volumes,
		ImageMounts: imageMounts,
		Rootfs: spec.Rootfs{
			Driver: choice.Driver, SquashOwners: choice.SquashOwners, Lower: lower, LinkDir: linkDir,
			Upper: filepath.Join(c.layerDir, "diff"), Work: filepath.Join(c.layerDir, "work"),
			Volatile: c.state.Remove,
		},
	}
	// Only this container's init reads config.json, after it is written.
	data, err := json.Marshal(cc)
	if err != nil {
		return fmt.Errorf("encode container config: %w", err)
	}
	return writeFile(containers.RunConfigPath(c.stateDir), data)
}

// longestSocketName is the longest name of a socket the network keeps in
// its directory (slirp4netns.sock).
const longestSocketName = len("/slirp4netns.sock")

// networkDir is where the network's sockets, pipes and logs go: the run
// state directory, unless --runroot is so long that a socket path there
// would pass the kernel's limit; then a private directory under the
// user's runtime directory, removed with the container.
func (c *container) networkDir() (string, error) {
	dir, err := socketDir(c.stateDir, "urun-net", longestSocketName)
	if err != nil || dir == c.stateDir {
		return dir, err
	}
	c.extraNetDir = dir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create network directory: %w", err)
	}
	return dir, nil
}
