// Package launch runs on the host side: it prepares a container's run
// state and writable layer (prepare.go), starts the namespace stages
// through package stage, relays the terminal and signals and reports the
// exit status (supervise.go), in `urun run`'s own process or in a detached
// container's monitor (detach.go, monitor.go), which keeps its log and
// serves `urun attach` (attach_*.go) and applies its restart policy
// (restart.go). exec.go is `urun exec`'s host side.
package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/health"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/logs"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/volumes"
)

// Options describe one `urun run` or `urun create`.
type Options struct {
	Config *config.Config
	Image  *local.Image
	// ImageName is the reference the user gave, for the record.
	ImageName string
	// ImageUse, if set, is the image use lock (local.LockUse) under which
	// Image was found: released once the container's record names the
	// image, so that rmi never deletes an image a container is being made
	// of.
	ImageUse io.Closer
	// CreateCommand is the command line of urun run or urun create.
	CreateCommand []string
	Spec          spec.Options
	Name          string
	Remove        bool
	Interactive   bool
	// Network is the --network mode, Ports the published ports and Names
	// the --dns and --add-host options.
	Network network.Mode
	Ports   []network.PortMapping
	Names   namefiles.Options
	// Init runs urun's small init as PID 1 (--init).
	Init bool
	// Restart is the --restart policy.
	Restart containers.RestartPolicy
	// Log is the --log-driver and its --log-opt settings.
	Log logs.Options
	// StopSignal and StopTimeout are what `urun stop` uses: --stop-signal
	// (else the image's StopSignal, else SIGTERM) and --stop-timeout
	// (seconds).
	StopSignal  string
	StopTimeout int
	// Resources are the resource limit flags, Cgroups how the container
	// gets its cgroup (package cgroupv2).
	Resources cgroupv2.Flags
	Cgroups   cgroupv2.Options
	// Stderr receives urun's notes, such as the published ports.
	Stderr io.Writer
	// VolumesFrom are the parsed --volumes-from containers' mounts.
	VolumesFrom []volumes.From
	// Healthcheck is what the --health-* flags say (nil for none), over
	// the image's HEALTHCHECK.
	Healthcheck *health.Check
	// Labels and ExposedPorts are the container's: the image's with
	// --label's and --expose's.
	Labels       map[string]string
	ExposedPorts map[string]struct{}
	// Registered, if set, is called with the new container's id once its
	// record exists (--cidfile); an error fails the run.
	Registered func(id string) error
	// Host is kept for `urun inspect` (containers.Settings.Host).
	Host containers.HostRequest
}

// Run runs a new container to its end (and, with a restart policy, its
// restarts) in this process, and returns its exit status.
func Run(o Options) (int, error) {
	trace.Mark("host", "image found")
	// As the main process of a systemd unit (urun generate systemd), a
	// container stopped through urun stop ends this urun with 0: that is
	// how `systemctl stop` ends it, and a unit whose main process fails
	// would count as failed. One that ends on its own keeps its status,
	// so that Restart=on-failure starts it again.
	underSystemd := os.Getenv("NOTIFY_SOCKET") != ""
	c, err := newContainer(o)
	if err != nil {
		return 0, err
	}
	streams := &callerStreams{interactive: o.Interactive, tty: o.Spec.Terminal}
	if keepsForegroundLog(o) {
		streams.log = &foregroundLog{c: c}
		defer streams.log.close()
	}
	stop, release := c.stopOnTermInForeground()
	defer release()
	code, err := c.runWithRestarts(streams, nil, nil, stop)
	if underSystemd && err == nil && c.stoppedByUser {
		return 0, nil
	}
	return code, err
}

// runOnce starts the container and supervises it to its end.
//
// The namespace stage is started first: while it starts and the host writes
// its id maps (milliseconds of setuid helpers), this process writes the run
// state, which the stage reads only after Continue. started, if set, hears
// once whether the command started.
func (c *container) runOnce(io streams, started func(error)) (int, error) {
	fail := func(err error) (int, error) {
		c.abandon(err)
		// The stage is gone: what it wrote before it failed is out once
		// the pipes are drained.
		io.wait()
		if started != nil {
			started(err)
		}
		return exitcode.Of(err), err
	}
	p, err := c.start(io)
	io.spawned()
	if err != nil {
		return fail(err)
	}
	if err := c.writeRunState(); err != nil {
		p.Abort()
		return fail(err)
	}
	trace.Mark("host", "run state written")
	// Catch signals while the id maps are still being written (a
	// sigaction costs tens of µs here); forward them once init's pid is
	// known. One that comes earlier ends urun, and the stage with it.
	signals := stage.CatchSignals()
	defer signals.Stop()
	if err := p.Continue(); err != nil {
		return fail(err)
	}
	defer p.Socket.Close()
	trace.Mark("host", "namespaces made, init forked")
	c.monitorPID = p.Cmd.Process.Pid
	signals.To(p.InitPID)
	var attachErr error
	if c.net != nil {
		defer c.net.Close()
		attachErr = c.attachNetwork()
	}

	started, stopHealth := c.withHealthChecks(started)
	code, err := c.supervise(p, attachErr, io, started)
	stopHealth()
	trace.Mark("host", "container exited")
	c.closeCgroup()
	c.emitEnd(code)
	c.finish(code, err)
	if c.startErr != nil && started != nil {
		// Told only now, as Docker's daemon answers: once `run -d`
		// returns, inspect shows the exit code and the error.
		started(c.startErr)
	}
	trace.Mark("host", "cleaned up")
	return code, err
}

type container struct {
	cfg      *config.Config
	id       string
	stateDir string
	layerDir string
	image    *local.Image
	settings containers.Settings
	spec     *specs.Spec
	state    containers.State
	// stderr receives urun's notes.
	stderr io.Writer
	// stoppedByUser is read from the record when the container ended:
	// urun stop, restart or rm -f ended it.
	stoppedByUser bool
	// registered is set once the container's record exists; a failed
	// start of a registered container is recorded, not removed.
	registered bool
	// ownsStateDir is set once this run made stateDir, which it may then
	// remove.
	ownsStateDir bool
	// lock is held on stateDir while this urun lives.
	lock *os.File
	// layerLock is held on layerDir while this urun runs the container,
	// which outlives a run state that is removed meanwhile (see
	// containers.HoldLayer). It ends with the process.
	layerLock *os.File
	// imageUse is Options.ImageUse until the record is written.
	imageUse io.Closer
	// volumes are a new container's volumes, whose store lock is held
	// until the record is written.
	volumes *volumes.Resolved
	// net is the container's network when it has its own connected one.
	net *network.Network
	// monitorPID is the namespace stage urun started, which stays in the
	// container's user and network namespaces until the container ends.
	monitorPID int
	// extraNetDir is the network's directory outside the run state, if any.
	extraNetDir string
	// attacher attaches the container to urun's networks, if it is on any.
	attacher *networkAttacher
	// sharedNetDir is the run state of the container whose network
	// namespace this one shares (--network container:NAME).
	sharedNetDir string
	// cgroup is the container's own cgroup while it runs, if it has one;
	// oomKilled says its memory limit killed a process.
	cgroup    *cgroupv2.Cgroup
	oomKilled bool
	// registeredHook is Options.Registered.
	registeredHook func(id string) error
	// neverRan: its command has not started yet (see endStatus).
	neverRan bool
	// startErr is why the command of this run did not start (init's
	// report), if it did not.
	startErr error
}

// Check refuses options that are wrong whatever the image: `urun run`
// and `urun create` call it before they pull, and newContainer again. It
// reads nothing but a --security-opt seccomp profile and, for --add-host
// host-gateway, the routing table.
func Check(o Options) error {
	// Whether the name is free is checked when the state is written (see
	// containers.Register), where no other urun can take it meanwhile.
	if o.Name != "" && !containers.ValidName(o.Name) {
		return fmt.Errorf("--name %q: invalid container name: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
	}
	if o.Remove && o.Restart.Name != "" && o.Restart.Name != containers.RestartNo {
		return errors.New("conflicting options: --restart and --rm: a container removed when it exits cannot be restarted")
	}
	if !o.Network.Connected() && len(o.Ports) > 0 {
		return fmt.Errorf("-p publishes ports of a container's own connected network: it does not apply to --network %s", o.Network.Kind)
	}
	// --dns and --add-host are written into the container's files only
	// once it starts: a bad one must fail before anything is made.
	if err := namefiles.Check(o.Network, o.Names); err != nil {
		return err
	}
	if _, err := o.Resources.Files(); err != nil {
		return err
	}
	o.Spec.HostNetwork = o.Network.Kind == network.KindHost
	return o.Spec.Check()
}

// newContainer checks the options and builds the spec; it writes nothing.
func newContainer(o Options) (*container, error) {
	cfg := o.Config
	if err := Check(o); err != nil {
		return nil, err
	}
	if err := checkNetworks(cfg, o.Network); err != nil {
		return nil, err
	}
	if err := checkImageMounts(cfg, o.Spec.Mounts); err != nil {
		return nil, err
	}
	if err := resolveJoinedContainers(cfg, &o.Spec.Kernel); err != nil {
		return nil, err
	}
	// A limit that cannot be had fails here, before anything is made.
	o.Cgroups.Writable = o.Spec.Security.Privileged
	plan, err := planCgroup(o.Resources, o.Cgroups)
	if err != nil {
		return nil, err
	}
	if plan.noCgroup != "" && o.Config.WarnWithoutCgroups() {
		// Once, when the container is made: its processes share the
		// caller's cgroup and nothing limits them.
		w := o.Stderr
		if w == nil {
			w = os.Stderr
		}
		fmt.Fprintf(w, "urun: warning: the container gets no cgroup of its own: %s (set cgroups_warning = false in urun.conf to silence this)\n", plan.noCgroup)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	o.Spec.HostNetwork = o.Network.Kind == network.KindHost
	vols, err := volumes.Resolve(cfg, o.Spec.Mounts, o.Image.Config.Config.Volumes, o.VolumesFrom)
	if err != nil {
		return nil, err
	}
	o.Spec.Mounts = vols.Mounts
	s, err := spec.Build(id, o.Image, o.Spec, os.LookupEnv)
	if err == nil {
		err = checkSeccompProfile(s, o.Spec.Security.Opts)
	}
	if err != nil {
		vols.Abandon()
		return nil, err
	}
	entrypoint, cmd := spec.SplitCommand(o.Image.Config.Config, o.Spec)
	if s.Process.Terminal {
		s.Process.ConsoleSize = terminalSize()
	}
	stderr := o.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	stopSignal := o.StopSignal
	if stopSignal == "" {
		stopSignal = o.Image.Config.Config.StopSignal
	}
	c := &container{
		cfg: cfg, id: id, stateDir: containers.StateDir(cfg, id), image: o.Image, spec: s, stderr: stderr,
		imageUse: o.ImageUse, volumes: vols, neverRan: true,
		settings: containers.Settings{
			Spec: s, Network: o.Network, Ports: o.Ports, Names: o.Names, Interactive: o.Interactive,
			Init: o.Init, Restart: o.Restart, Log: o.Log, StopSignal: stopSignal, StopTimeout: o.StopTimeout,
			Entrypoint: entrypoint, Cmd: cmd, Resources: o.Resources, Cgroups: o.Cgroups,
			CreateCommand: o.CreateCommand, ExposedPorts: o.ExposedPorts, Kernel: o.Spec.Kernel, Host: o.Host,
			Healthcheck: health.Merge(o.Image.Config.Config.Healthcheck, o.Healthcheck),
		},
		state: containers.State{
			ID: id, Name: o.Name, Image: o.ImageName, ImageID: o.Image.ID, Command: s.Process.Args,
			Created: time.Now().UTC(), Remove: o.Remove, RestartPolicy: o.Restart.Name,
			Volumes: vols.Volumes, Labels: o.Labels,
		},
		registeredHook: o.Registered,
	}
	c.layerDir = containers.LayerDir(cfg, c.state)
	return c, nil
}

// attachNetwork connects the container's network namespace and publishes
// its ports while init prepares the container; init execs the command only
// after that (supervise), so its first connect cannot fail. The monitor
// (the stage process urun started) is in the container's user and network
// namespaces for exactly as long as the container lives.
func (c *container) attachNetwork() error {
	published, err := c.net.Attach(c.monitorPID)
	if err != nil {
		return err
	}
	trace.Mark("host", "network attached")
	if c.attacher != nil {
		if err := c.recordEndpoints(c.attacher.endpoints); err != nil {
			return err
		}
	}
	if len(published) == 0 {
		return nil
	}
	var ports []containers.Port
	for _, m := range published {
		p := containers.Port{HostIP: m.HostIP, HostPort: m.HostPort, ContainerPort: m.ContainerPort, Proto: m.Proto}
		ports = append(ports, p)
		if !c.state.Detached {
			fmt.Fprintf(c.stderr, "urun: published %s\n", p)
		}
	}
	st, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
		st.Ports = ports
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the published ports: %w", err)
	}
	c.state = st
	return nil
}

func (c *container) removeNetDir() {
	if c.extraNetDir != "" {
		os.RemoveAll(c.extraNetDir)
	}
}

// abandon undoes what a start that failed made: a new container's run
// state and layer are removed; a registered one (`urun start`, a restart)
// keeps its record, which says why it did not start.
func (c *container) abandon(why error) {
	c.releaseImage()
	c.closeCgroup()
	c.removeNetDir()
	if c.registered {
		code := exitcode.Of(why)
		st, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
			st.Status, st.ExitCode, st.Error, st.FinishedAt = c.endStatus(), code, why.Error(), time.Now().UTC()
			return nil
		})
		if err == nil {
			c.state = st
		}
		return
	}
	c.volumes.Abandon()
	if !c.ownsStateDir {
		return
	}
	os.RemoveAll(c.layerDir)
	os.RemoveAll(c.stateDir)
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
}

// releaseImage lets go of the image use lock, once the container's record
// names its image or the container will not be made.
func (c *container) releaseImage() {
	if c.imageUse != nil {
		c.imageUse.Close()
		c.imageUse = nil
	}
	c.volumes.Release()
}

// finish records how the container ended, or for a --rm container
// removes its run state (its writable layer was removed by the monitor in
// the user namespace).
func (c *container) finish(code int, err error) {
	c.removeNetDir()
	if c.state.Remove {
		// The name on disk: `urun rename` may have changed it meanwhile.
		if st, err := containers.ReadState(c.stateDir); err == nil {
			containers.ReleaseName(c.cfg, st.Name, st.ID)
			c.stoppedByUser = st.StoppedByUser
		}
		os.RemoveAll(c.stateDir)
		c.lock.Close()
		// Docker's --rm removes the container's anonymous volumes too.
		if err := volumes.RemoveAnonymous(c.cfg, c.state.Volumes); err != nil {
			fmt.Fprintf(c.stderr, "urun: remove the container's anonymous volumes: %v\n", err)
		}
		c.emit("destroy")
		return
	}
	st, uerr := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
		st.Status, st.ExitCode, st.FinishedAt = c.endStatus(), code, time.Now().UTC()
		st.OOMKilled, st.Cgroup = c.oomKilled, ""
		if err != nil {
			st.Error = err.Error()
		}
		return nil
	})
	if uerr == nil {
		c.state = st
		c.stoppedByUser = st.StoppedByUser
	}
}
