// Package launch runs on the host side: it prepares a container's run
// state and writable layer, starts the namespace stages through package
// userns, relays the terminal and signals, and reports the exit status.
package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/slirp"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/userns"
)

// Options describe one `urun run`.
type Options struct {
	Config *config.Config
	Image  *local.Image
	// ImageName is the reference the user gave, for the record.
	ImageName   string
	Spec        spec.Options
	Name        string
	Remove      bool
	Interactive bool
	// Network is the --network mode, Ports the published ports and Names
	// the --dns and --add-host options.
	Network slirp.Mode
	Ports   []slirp.PortMapping
	Names   slirp.NameOptions
	// Stderr receives urun's notes, such as the published ports.
	Stderr io.Writer
}

// ExitError carries an exit status for urun to end with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Run runs a container to its end and returns its exit status.
//
// The namespace stage is started first: while it starts and the host writes
// its id maps (milliseconds of setuid helpers), this process writes the run
// state, which the stage reads only after Continue.
func Run(o Options) (int, error) {
	trace.Mark("host", "image found")
	o.Spec.HostNetwork = !o.Network.OwnNetNS()
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	c, err := newContainer(o)
	if err != nil {
		return 0, err
	}
	p, err := c.start(o)
	if err != nil {
		c.removeRunState()
		return 0, err
	}
	if err := c.writeRunState(o); err != nil {
		p.Abort()
		c.removeRunState()
		return 0, err
	}
	trace.Mark("host", "run state written")
	// Catch signals while the id maps are still being written (a
	// sigaction costs tens of µs here); forward them once init's pid is
	// known. One that comes earlier ends urun, and the stage with it.
	signals := make(chan os.Signal, 16)
	signal.Notify(signals, forwardedSignals...)
	defer signal.Stop(signals)
	if err := p.Continue(); err != nil {
		c.removeRunState()
		return 0, err
	}
	defer p.Sync.Close()
	trace.Mark("host", "namespaces made, init forked")
	c.monitorPID = p.Cmd.Process.Pid
	go forwardSignals(signals, p.InitPID)
	var attachErr error
	if c.net != nil {
		defer c.net.Close()
		attachErr = c.attachNetwork(o)
	}

	code, err := c.supervise(o, p, attachErr)
	trace.Mark("host", "container exited")
	c.finish(o, code)
	trace.Mark("host", "cleaned up")
	return code, err
}

type container struct {
	id       string
	stateDir string
	layerDir string
	spec     *specs.Spec
	state    containers.State
	// ownsStateDir is set once this run made stateDir, which it may then
	// remove.
	ownsStateDir bool
	// lock is held on stateDir while this urun lives.
	lock *os.File
	// net is the container's network when it has its own connected one.
	net *slirp.Network
	// monitorPID is the namespace stage urun started, which stays in the
	// container's user and network namespaces until the container ends.
	monitorPID int
	// extraNetDir is the network's directory outside the run state, if any.
	extraNetDir string
}

// newContainer checks the options and builds the spec; it writes nothing.
func newContainer(o Options) (*container, error) {
	cfg := o.Config
	// Whether the name is free is checked when the state is written (see
	// containers.Register), where no other urun can take it meanwhile.
	if o.Name != "" && !containers.ValidName(o.Name) {
		return nil, fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	s, err := spec.Build(id, o.Image, o.Spec, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	if s.Process.Terminal {
		s.Process.ConsoleSize = terminalSize()
	}
	layerDir := containers.LayerDir(cfg, containers.State{ID: id, Remove: o.Remove})
	return &container{id: id, stateDir: cfg.ContainerStateDir(id), layerDir: layerDir, spec: s}, nil
}

// start makes the run state directory, checks the network (free host
// ports, helpers installed) and spawns the namespace stage, which waits
// for Continue.
func (c *container) start(o Options) (*userns.Process, error) {
	// The state directory and its lock come before the layer: see
	// orphanedTransientLayers. Mkdir fails on the (2^-48) chance that the
	// short id is taken.
	if err := os.MkdirAll(filepath.Dir(c.stateDir), 0o700); err != nil {
		return nil, fmt.Errorf("create run state: %w", err)
	}
	if err := os.Mkdir(c.stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("create run state: %w", err)
	}
	c.ownsStateDir = true
	var err error
	if c.lock, err = containers.Lock(c.stateDir); err != nil {
		return nil, fmt.Errorf("lock run state %s: %w", c.stateDir, err)
	}
	if o.Network.Connected() {
		netDir, err := c.networkDir()
		if err != nil {
			return nil, err
		}
		if c.net, err = slirp.New(o.Network, netDir, o.Ports); err != nil {
			return nil, err
		}
	} else if len(o.Ports) > 0 {
		return nil, fmt.Errorf("-p publishes ports of a container's own connected network: it does not apply to --network %s", o.Network.Kind)
	}
	caller, err := idmap.CurrentCaller()
	if err != nil {
		return nil, err
	}
	mappings, err := idmap.Files{}.ForCaller(caller)
	if err != nil {
		return nil, err
	}
	trace.Mark("host", "id maps computed")
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find urun's own binary: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Args = []string{"urun-init", c.id}
	// The stages get nothing of the caller's environment but PATH (to find
	// fuse-overlayfs); the container's environment is in the spec.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), inside.ConfigEnv + "=" + filepath.Join(c.stateDir, "config.json")}
	if trace.Enabled() {
		cmd.Env = append(cmd.Env, trace.Env+"=1")
	}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if o.Interactive && !o.Spec.Terminal {
		cmd.Stdin = os.Stdin
	}
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if !o.Spec.HostNetwork {
		flags |= unix.CLONE_NEWNET
	}
	opts := userns.Options{Mappings: mappings, Flags: flags, ForkInit: true}
	if c.net != nil {
		if env := c.net.PortChildEnv(); env != nil {
			cmd.Env = append(cmd.Env, env...)
			opts.ForkPorts = true
		}
	}
	if o.Remove {
		opts.RemoveOnExit = c.layerDir
	}
	// The monitor deletes what earlier, killed --rm containers left while
	// this one runs.
	opts.RemoveNow = orphanedTransientLayers(o.Config)
	return userns.Start(cmd, opts)
}

// writeRunState creates the run state and writable layer and writes
// config.json. On failure the caller removes what was made.
func (c *container) writeRunState(o Options) (err error) {
	cfg := o.Config
	s := c.spec
	for _, m := range s.Mounts {
		if m.Type == "bind" && m.Source != "/sys" {
			// Docker creates a missing host directory of a -v.
			if err := os.MkdirAll(m.Source, 0o755); err != nil && !errors.Is(err, unix.ENOTDIR) {
				return fmt.Errorf("create volume source %s: %w", m.Source, err)
			}
		}
	}
	for _, dir := range []string{filepath.Join(c.stateDir, "rootfs"), filepath.Join(c.layerDir, "diff"), filepath.Join(c.layerDir, "work")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create container directory: %w", err)
		}
	}
	hostResolv, _ := os.ReadFile("/etc/resolv.conf")
	resolv, err := slirp.ResolvConf(o.Network, hostResolv, o.Names)
	if err != nil {
		return err
	}
	hosts, err := slirp.Hosts(o.Network, s.Hostname, o.Names)
	if err != nil {
		return err
	}
	files := map[string][]byte{"hostname": []byte(s.Hostname + "\n"), "hosts": hosts, "resolv.conf": resolv}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		path := filepath.Join(c.stateDir, name)
		if err := writeFile(path, files[name]); err != nil {
			return err
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + name, Type: "bind", Source: path, Options: []string{"bind"}})
	}
	s.Root.Path = filepath.Join(c.stateDir, "rootfs")
	driver, err := rootfsDriver(cfg)
	if err != nil {
		return err
	}
	lower, linkDir := lowerDirs(o.Image)
	cc := spec.Container{
		ID:          c.id,
		Spec:        s,
		WaitForHost: c.net != nil,
		Rootfs: spec.Rootfs{
			Driver: driver, Lower: lower, LinkDir: linkDir,
			Upper: filepath.Join(c.layerDir, "diff"), Work: filepath.Join(c.layerDir, "work"),
			Volatile: o.Remove,
		},
	}
	// Only this container's init reads config.json, after it is written.
	data, err := json.Marshal(cc)
	if err != nil {
		return fmt.Errorf("encode container config: %w", err)
	}
	if err := writeFile(filepath.Join(c.stateDir, "config.json"), data); err != nil {
		return err
	}
	c.state = containers.State{
		ID: c.id, Name: o.Name, Image: o.ImageName, ImageID: o.Image.ID, Command: s.Process.Args,
		Created: time.Now().UTC(), Status: "created", Remove: o.Remove,
	}
	return containers.Register(cfg, c.stateDir, &c.state)
}

// lowerDirs lists the image's layers top first, as overlay wants them: by
// their short links relative to the link directory when every layer has
// one (a long lowerdir option would hit the kernel's page limit), else by
// full path.
func lowerDirs(img *local.Image) ([]string, string) {
	n := len(img.Layers)
	lower := make([]string, n)
	useLinks := img.LinkDir != ""
	for i, l := range img.Layers {
		lower[n-1-i] = l.Link
		useLinks = useLinks && l.Link != ""
	}
	if useLinks {
		return lower, img.LinkDir
	}
	for i, l := range img.Layers {
		lower[n-1-i] = l.Dir
	}
	return lower, ""
}

// longestSocketName is the longest name of a socket the network keeps in
// its directory (slirp4netns.sock).
const longestSocketName = len("/slirp4netns.sock")

// networkDir is where the network's sockets, pipes and logs go: the run
// state directory, unless --runroot is so long that a socket path there
// would pass the kernel's 107 bytes; then a private directory under the
// user's runtime directory, removed with the container.
func (c *container) networkDir() (string, error) {
	if len(c.stateDir)+longestSocketName <= 107 {
		return c.stateDir, nil
	}
	runtime, err := config.RuntimeDir()
	if err != nil {
		return "", err
	}
	c.extraNetDir = filepath.Join(runtime, "urun-net", filepath.Base(c.stateDir))
	if len(c.extraNetDir)+longestSocketName > 107 {
		return "", fmt.Errorf("the run root %s is too long for the network's unix sockets: use a shorter --runroot or XDG_RUNTIME_DIR", c.stateDir)
	}
	if err := os.MkdirAll(c.extraNetDir, 0o700); err != nil {
		return "", fmt.Errorf("create network directory: %w", err)
	}
	return c.extraNetDir, nil
}

// attachNetwork connects the container's network namespace and publishes
// its ports while init prepares the container; init execs the command only
// after that (supervise), so its first connect cannot fail. The monitor
// (the stage process urun started) is in the container's user and network
// namespaces for exactly as long as the container lives.
func (c *container) attachNetwork(o Options) error {
	published, err := c.net.Attach(c.monitorPID)
	if err != nil {
		return err
	}
	trace.Mark("host", "network attached")
	for _, m := range published {
		ip := m.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		fmt.Fprintf(o.Stderr, "urun: published %s->%d/%s\n", net.JoinHostPort(ip, strconv.Itoa(m.HostPort)), m.ContainerPort, m.Proto)
	}
	return nil
}

func (c *container) removeNetDir() {
	if c.extraNetDir != "" {
		os.RemoveAll(c.extraNetDir)
	}
}

// removeRunState undoes writeRunState when the container never ran.
func (c *container) removeRunState() {
	if !c.ownsStateDir {
		return
	}
	os.RemoveAll(c.layerDir)
	os.RemoveAll(c.stateDir)
	c.removeNetDir()
	if c.lock != nil {
		c.lock.Close()
	}
}

// rootfsDriver is the configured driver, unless the store's layers were
// unpacked for fuse-overlayfs (a kernel without overlay in user
// namespaces), which only fuse-overlayfs can mount.
func rootfsDriver(cfg *config.Config) (string, error) {
	if !local.NeedsFuseOverlayfs(cfg.GraphRoot) {
		return cfg.RootfsDriver, nil
	}
	if cfg.RootfsDriver == "native" {
		return "", fmt.Errorf("rootfs driver native: the image store %s was filled for fuse-overlayfs: use --rootfs-driver auto or fuse-overlayfs, or another --root", cfg.GraphRoot)
	}
	return "fuse-overlayfs", nil
}

// supervise relays the terminal, lets init exec the command once the
// network is attached (attachErr ends the container instead, unless init
// failed first: its reason is the one to show) and waits for the end.
func (c *container) supervise(o Options, p *userns.Process, attachErr error) (int, error) {
	var term *relay
	report := readStart(p.Sync)
	if report.master != nil {
		term = startRelay(report.master, o.Interactive)
		report = readStart(p.Sync)
	}
	if report.waiting {
		if attachErr != nil {
			// init reads the end of the socket as "give up".
			p.Sync.Close()
			report = startReport{code: 125, err: attachErr}
		} else if _, err := p.Sync.Write([]byte("G")); err != nil {
			report = startReport{code: 125, err: fmt.Errorf("tell the container its network is ready: %w", err)}
		} else {
			report = readStart(p.Sync)
		}
	}
	trace.Mark("host", "command started")
	if report.err == nil {
		// For `urun rm -f`, written after the start so that it costs the
		// start nothing. Without it rm -f cannot kill the container and
		// gives up after a while; the container itself does not mind.
		writeFile(filepath.Join(c.stateDir, containers.InitPIDFile), []byte(strconv.Itoa(p.InitPID)))
	}
	waitErr := p.Cmd.Wait()
	if c.net != nil {
		c.net.Close()
	}
	if term != nil {
		term.wait()
	}
	if report.err != nil {
		return report.code, report.err
	}
	if waitErr != nil {
		var exitErr *exec.ExitError
		if !errors.As(waitErr, &exitErr) {
			return 0, fmt.Errorf("wait for the container: %w", waitErr)
		}
		if st, ok := exitErr.Sys().(unix.WaitStatus); ok && st.Signaled() {
			return 128 + int(st.Signal()), nil
		}
		return exitErr.ExitCode(), nil
	}
	return 0, nil
}

// startReport is what init said before exec: a pty master, that it waits
// for the network, or an error.
type startReport struct {
	master  *os.File
	waiting bool
	code    int
	err     error
}

// readStart reads init's messages; the first is a pty master when one was
// asked for. A clean end of the socket means init exec'd the command.
func readStart(sync *os.File) startReport {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sync.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || n == 0 {
		return startReport{}
	}
	switch buf[0] {
	case 'T':
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil && len(msgs) == 1 {
			if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
				return startReport{master: os.NewFile(uintptr(fds[0]), "pty-master")}
			}
		}
		return startReport{code: 125, err: errors.New("the container's init sent a bad terminal")}
	case 'W':
		return startReport{waiting: true}
	case 'E': // init failed in nsenter.c, before Go
		return startReport{code: 125, err: &ExitError{Code: 125, Err: userns.StageError(string(buf[1:n]))}}
	case 'X':
		var code int
		var msg string
		fmt.Sscanf(string(buf[1:n]), "%d", &code)
		if _, rest, ok := strings.Cut(string(buf[1:n]), " "); ok {
			msg = rest
		}
		return startReport{code: code, err: &ExitError{Code: code, Err: errors.New(msg)}}
	}
	return startReport{}
}

// forwardedSignals are the signals people and job controllers send, which
// urun passes to the container's PID 1 as `docker run` does. Catching all
// 64 would cost a sigaction each on every start.
var forwardedSignals = []os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1,
	unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT, unix.SIGXCPU, unix.SIGXFSZ,
}

func forwardSignals(signals chan os.Signal, pid int) {
	for sig := range signals {
		unix.Kill(pid, sig.(unix.Signal))
	}
}

// finish records how the container ended, or with --rm removes its run
// state (its writable layer was removed by the monitor in the user
// namespace).
func (c *container) finish(o Options, code int) {
	defer c.lock.Close()
	c.removeNetDir()
	if o.Remove {
		os.RemoveAll(c.stateDir)
		return
	}
	c.state.Status = "exited"
	c.state.ExitCode = code
	c.state.FinishedAt = time.Now().UTC()
	containers.WriteState(c.stateDir, c.state)
}
