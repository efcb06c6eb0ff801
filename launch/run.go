// Package launch runs on the host side: it prepares a container's run
// state and writable layer, starts the namespace stages through package
// userns, relays the terminal and signals, and reports the exit status.
package launch

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/spec"
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
}

// ExitError carries an exit status for urun to end with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// Run runs a container to its end and returns its exit status.
func Run(o Options) (int, error) {
	c, err := prepare(o)
	if err != nil {
		return 0, err
	}
	code, err := c.run(o)
	c.finish(o, code, err)
	return code, err
}

type container struct {
	id       string
	stateDir string
	layerDir string
	state    State
	// lock is held on stateDir while this urun lives.
	lock *os.File
}

// prepare creates the run state and writable layer and writes config.json.
// Whatever fails here leaves nothing behind.
func prepare(o Options) (c *container, err error) {
	cfg := o.Config
	if o.Name != "" {
		if !validName(o.Name) {
			return nil, fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", o.Name)
		}
		inUse, err := nameInUse(filepath.Dir(cfg.ContainerStateDir("x")), o.Name)
		if err != nil {
			return nil, err
		}
		if inUse {
			return nil, fmt.Errorf("the container name %q is already in use: remove that container or choose another --name", o.Name)
		}
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	layerParent := cfg.ContainersDir()
	if o.Remove {
		layerParent = cfg.TransientDir()
	}
	c = &container{id: id, stateDir: cfg.ContainerStateDir(id), layerDir: filepath.Join(layerParent, id)}
	defer func() {
		if err != nil {
			os.RemoveAll(c.layerDir)
			os.RemoveAll(c.stateDir)
			if c.lock != nil {
				c.lock.Close()
			}
		}
	}()
	// The state directory and its lock come before the layer: see
	// orphanedTransientLayers.
	if err := os.MkdirAll(c.stateDir, 0o700); err != nil {
		return c, fmt.Errorf("create run state: %w", err)
	}
	if c.lock, err = lockStateDir(c.stateDir); err != nil {
		return c, fmt.Errorf("lock run state %s: %w", c.stateDir, err)
	}

	s, err := spec.Build(id, o.Image, o.Spec, os.LookupEnv)
	if err != nil {
		return c, err
	}
	if s.Process.Terminal {
		s.Process.ConsoleSize = terminalSize()
	}
	for _, m := range s.Mounts {
		if m.Type == "bind" && m.Source != "/sys" {
			// Docker creates a missing host directory of a -v.
			if err := os.MkdirAll(m.Source, 0o755); err != nil && !errors.Is(err, unix.ENOTDIR) {
				return c, fmt.Errorf("create volume source %s: %w", m.Source, err)
			}
		}
	}
	for _, dir := range []string{filepath.Join(c.stateDir, "rootfs"), filepath.Join(c.layerDir, "diff"), filepath.Join(c.layerDir, "work")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return c, fmt.Errorf("create container directory: %w", err)
		}
	}
	files := map[string][]byte{
		"hostname":    []byte(s.Hostname + "\n"),
		"hosts":       hostsFile(s.Hostname, o.Spec.HostNetwork),
		"resolv.conf": resolvConf(o.Spec.HostNetwork),
	}
	for _, name := range []string{"hostname", "hosts", "resolv.conf"} {
		path := filepath.Join(c.stateDir, name)
		if err := writeFile(path, files[name]); err != nil {
			return c, err
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/etc/" + name, Type: "bind", Source: path, Options: []string{"bind"}})
	}
	s.Root.Path = filepath.Join(c.stateDir, "rootfs")
	lower := make([]string, len(o.Image.Layers))
	useLinks := o.Image.LinkDir != ""
	for i, l := range o.Image.Layers {
		// overlay lists the top layer first.
		j := len(lower) - 1 - i
		lower[j] = l.Dir
		if l.Link == "" {
			useLinks = false
		}
	}
	linkDir := ""
	if useLinks {
		linkDir = o.Image.LinkDir
		for i, l := range o.Image.Layers {
			lower[len(lower)-1-i] = l.Link
		}
	}
	driver, err := rootfsDriver(cfg)
	if err != nil {
		return c, err
	}
	cc := spec.Container{
		ID:   id,
		Spec: s,
		Rootfs: spec.Rootfs{
			Driver: driver, Lower: lower, LinkDir: linkDir,
			Upper: filepath.Join(c.layerDir, "diff"), Work: filepath.Join(c.layerDir, "work"),
			Volatile: o.Remove,
		},
	}
	if err := writeJSONAtomic(filepath.Join(c.stateDir, "config.json"), cc); err != nil {
		return c, err
	}
	c.state = State{ID: id, Name: o.Name, Image: o.ImageName, ImageID: o.Image.ID, Created: time.Now().UTC(), Status: "created", Remove: o.Remove}
	if err := writeJSONAtomic(filepath.Join(c.stateDir, "state.json"), c.state); err != nil {
		return c, err
	}
	return c, nil
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

func (c *container) run(o Options) (int, error) {

	caller, err := idmap.CurrentCaller()
	if err != nil {
		return 0, err
	}
	mappings, err := idmap.Files{}.ForCaller(caller)
	if err != nil {
		return 0, err
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find urun's own binary: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Args = []string{"urun-init", c.id}
	// The stages get nothing of the caller's environment but PATH (to find
	// fuse-overlayfs); the container's environment is in the spec.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), inside.ConfigEnv + "=" + filepath.Join(c.stateDir, "config.json")}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if o.Interactive && !o.Spec.Terminal {
		cmd.Stdin = os.Stdin
	}
	flags := uintptr(unix.CLONE_NEWNS | unix.CLONE_NEWPID | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if !o.Spec.HostNetwork {
		flags |= unix.CLONE_NEWNET
	}
	opts := userns.Options{Mappings: mappings, Flags: flags, ForkInit: true}
	if o.Remove {
		opts.RemoveOnExit = c.layerDir
	}
	// The monitor deletes what earlier, killed --rm containers left while
	// this one runs.
	opts.RemoveNow = orphanedTransientLayers(o.Config)

	// Catch signals before the container exists so none is lost; forward
	// them once init's pid is known.
	signals := make(chan os.Signal, 16)
	signal.Notify(signals)
	defer signal.Stop(signals)

	p, err := userns.Start(cmd, opts)
	if err != nil {
		return 0, err
	}
	defer p.Sync.Close()
	c.state.Status = "running"

	go forwardSignals(signals, p.InitPID)

	var term *relay
	report := readStart(p.Sync)
	if report.master != nil {
		term = startRelay(report.master, o.Interactive)
		report = readStart(p.Sync)
	}

	waitErr := cmd.Wait()

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

// startReport is what init said before exec: a pty master, or an error.
type startReport struct {
	master *os.File
	code   int
	err    error
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

// forwardSignals passes the signals urun receives to the container's
// PID 1, as `docker run` does by default.
func forwardSignals(signals chan os.Signal, pid int) {
	for sig := range signals {
		s, ok := sig.(unix.Signal)
		if !ok || s == unix.SIGCHLD || s == unix.SIGURG || s == unix.SIGWINCH || s == unix.SIGPIPE {
			continue
		}
		unix.Kill(pid, s)
	}
}

// finish records how the container ended, or with --rm removes its run
// state (its writable layer was removed by the monitor in the user
// namespace).
func (c *container) finish(o Options, code int, runErr error) {
	defer c.lock.Close()
	if o.Remove {
		os.RemoveAll(c.stateDir)
		// Normally gone already; left when the monitor never started.
		os.RemoveAll(c.layerDir)
		return
	}
	c.state.Status = "exited"
	c.state.ExitCode = code
	c.state.FinishedAt = time.Now().UTC()
	writeJSONAtomic(filepath.Join(c.stateDir, "state.json"), c.state)
}
