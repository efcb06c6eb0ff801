package stage

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/idmap"
	"github.com/urun/urun/trace"
)

// Namespaces say where a stage runs: Create, Container, Join or Caller.
type Namespaces interface {
	startMessage() startMessage
}

// Create puts the stage in a new user namespace mapped with Mappings and,
// inside it, the CLONE_NEW* namespaces in Unshare, as its root.
type Create struct {
	Mappings idmap.Mappings
	Unshare  uintptr
	// UserNS, when set, is a user namespace the stage enters instead of
	// making one with Mappings: with Nest, the stage then makes one of its
	// own inside it, with the same ids (a container on a network: see
	// package usernet); without, it stays there (a container sharing
	// another's network namespace, a network's holder coming back).
	UserNS *os.File
	Nest   bool
	// NetNS, when set, is a network namespace the stage enters instead of
	// making one (leave CLONE_NEWNET out of Unshare).
	NetNS *os.File
	// IPCNS, UTSNS and PIDNS, when set, are another container's
	// namespaces the stage enters instead of making them (leave their
	// CLONE_NEW* out of Unshare; UserNS must be that container's): init
	// is forked into PIDNS, where it is not PID 1: the tiny init (see
	// TinyInit) stays as the subreaper of the container's processes, and
	// Process.InitPID is its child's.
	IPCNS, UTSNS, PIDNS *os.File
	// ShmFrom is the mount namespace of the container whose IPCNS is
	// entered and ShmDir a directory: init mounts that container's
	// /dev/shm there, in its own mount namespace.
	ShmFrom, ShmDir *os.File
	// Keep is a descriptor the stage keeps open for as long as it lives,
	// out of reach of the command init execs.
	Keep *os.File
	// Outlive lets the stage outlive the caller: no parent-death signal.
	// With Daemonize, the stage goes on in a child once its namespaces
	// are made, and the process Start started exits: the caller reaps
	// it, and the stage is nobody's child. The child says InitPID with
	// its pid first.
	Outlive, Daemonize bool
}

func (c Create) startMessage() startMessage {
	m := startMessage{header: newHeader(doCreateUserNS, uint32(c.Unshare))}
	if c.Nest {
		m.header.Do |= doNestUserNS
	}
	if c.Outlive {
		m.header.Do |= doOutlive
	}
	if c.Daemonize {
		m.header.Do |= doDaemonize
	}
	return m
}

// inheritedFiles are the descriptors Create passes, each with the header
// field that names its number in the stage.
func (c Create) inheritedFiles(h *startHeader) []inherited {
	return []inherited{
		{c.UserNS, &h.UserNSFD}, {c.NetNS, &h.NetNSFD}, {c.Keep, &h.KeepFD},
		{c.IPCNS, &h.IPCNSFD}, {c.UTSNS, &h.UTSNSFD}, {c.PIDNS, &h.PIDNSFD},
		{c.ShmFrom, &h.ShmMntNSFD}, {c.ShmDir, &h.ShmDirFD},
	}
}

type inherited struct {
	file  *os.File
	field *int32
}

// newHeader is a start message's header without descriptors.
func newHeader(do, cloneFlags uint32) startHeader {
	return startHeader{
		Do: do, CloneFlags: cloneFlags, EndedFD: -1, UserNSFD: -1, NetNSFD: -1, KeepFD: -1,
		IPCNSFD: -1, UTSNSFD: -1, PIDNSFD: -1, ShmMntNSFD: -1, ShmDirFD: -1,
	}
}

// createOf is the Create part of ns, if it has one.
func createOf(ns Namespaces) (Create, bool) {
	switch ns := ns.(type) {
	case Create:
		return ns, true
	case Container:
		return ns.Create, true
	}
	return Create{}, false
}

// Container creates a container: the stage makes the namespaces of
// Create, then forks init as PID 1 of the new PID namespace (with its own
// mount namespace) and stays behind as init's waiter, which exits with
// init's status.
type Container struct {
	Create
	// PortChild forks a stage Ports beside init, in the container's
	// network namespace and the host's mount and PID namespaces.
	PortChild bool
	// TinyInit keeps a small init written in C as PID 1 (`urun run
	// --init`): it reaps zombies and forwards signals; Init runs as its
	// child, PID 2.
	TinyInit bool
	// RemoveOnExit is a directory the waiter deletes from inside the user
	// namespace once init has exited (files in it may belong to
	// subordinate ids the caller cannot delete).
	RemoveOnExit string
	// RemoveNow are directories the waiter deletes while init runs.
	RemoveNow []string
	// ReportEnd makes the waiter say InitEnded on Process.Ended when init
	// ended, and stay until the caller closes it: the cgroup it shares
	// with the container stays until then.
	ReportEnd bool
}

func (c Container) startMessage() startMessage {
	m := c.Create.startMessage()
	m.header.Do |= doForkInit
	if c.PortChild {
		m.header.Do |= doForkPorts
	}
	if c.TinyInit {
		m.header.Do |= doTinyInit
	}
	m.removeOnExit = c.RemoveOnExit
	m.removeNow = strings.Join(c.RemoveNow, "\n")
	return m
}

// Join puts the stage in the namespaces of a running process: its user
// namespace first, as its root, then each of Namespaces (the names in
// /proc/PID/ns: "ipc", "uts", "net", "pid", "mnt", "cgroup"). With "pid"
// the stage forks, since only children enter a PID namespace: the child
// runs the stage's Go code, and the parent waits for it and exits with
// its status.
type Join struct {
	PID        int
	Namespaces []string
	// Outlive lets the stage and its child outlive the caller (`urun exec
	// -d`): neither gets a parent-death signal.
	Outlive bool
	// Hold makes the stage wait for Continue before it joins and forks, so
	// that the caller can have it moved to another cgroup first.
	Hold bool
}

func (j Join) startMessage() startMessage {
	m := startMessage{header: newHeader(doJoin, 0), joinNamespaces: strings.Join(j.Namespaces, ",")}
	m.header.JoinPID = int32(j.PID)
	if j.Outlive {
		m.header.Do |= doOutlive
	}
	if j.Hold {
		m.header.Do |= doHoldJoin
	}
	return m
}

// Caller runs the stage in the caller's namespaces, as any child: with no
// parent-death signal (the monitor of a detached container outlives its
// caller; urun-image's host half).
type Caller struct{}

func (Caller) startMessage() startMessage {
	return startMessage{header: newHeader(doOutlive, 0)}
}

// Command is urun's binary to be started as stage name: Start it. Init
// and Exec run the small urun-init beside urun when it is there (see
// cmd/urun-init). Its environment is PATH alone (fuse-overlayfs,
// slirp4netns are looked up there) and URUN_TRACE when set; nothing else
// of the caller's.
func Command(name Name) (*exec.Cmd, error) {
	cmd, err := UrunCommand(name)
	if err == nil && (name == Init || name == Exec) {
		if lean := filepath.Join(filepath.Dir(cmd.Path), LeanBinary); isExecutable(lean) {
			cmd.Path = lean
		}
	}
	return cmd, err
}

// UrunCommand is Command in urun's own binary, whatever the stage: a
// container with a port child needs it, since the port child's code
// (rootlesskit's) is only there.
func UrunCommand(name Name) (*exec.Cmd, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find urun's own binary: %w", err)
	}
	return CommandOf(self, name), nil
}

// LeanBinary is the program that runs the stages Init and Exec faster
// than urun's own binary (cmd/urun-init), installed beside urun.
const LeanBinary = "urun-init"

func isExecutable(path string) bool {
	return unix.Access(path, unix.X_OK) == nil
}

// CommandOf is binary (urun's or urun-image) to be started as stage name.
func CommandOf(binary string, name Name) *exec.Cmd {
	cmd := exec.Command(binary)
	cmd.Args = []string{string(name)}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if trace.Enabled() {
		cmd.Env = append(cmd.Env, trace.Env+"=1")
	}
	return cmd
}

// startMessageRoom is what a stage's socket takes in one message without
// a bigger send buffer (net.core.wmem_default, 208 KiB, less its
// overhead).
const startMessageRoom = 128 << 10

// Process is a started stage.
type Process struct {
	Cmd *exec.Cmd
	// InitPID is init's pid in the host's PID namespace (Container), known
	// once Continue has returned.
	InitPID int
	// Socket is the host's end of the socket to the stage.
	Socket *os.File
	// Ended (Container with ReportEnd) reads InitEnded once init ended;
	// closing it lets the waiter exit.
	Ended *os.File
	// KeptFD is the number of Create.Keep in the stage (-1 without).
	KeptFD int

	ns     Namespaces
	mapped chan error
}

// Start starts cmd (from Command) as a stage in ns with request, which
// the stage reads with Request. With Create or Container it writes the
// new user namespace's maps in the background: the stage waits until
// Continue, so the caller can prepare what the stage needs meanwhile.
func Start(cmd *exec.Cmd, ns Namespaces, request any) (*Process, error) {
	msg := ns.startMessage()
	host, child, err := socketPair("urun-stage")
	if err != nil {
		return nil, fmt.Errorf("create the stage's socket: %w", err)
	}
	defer child.Close()
	cmd.ExtraFiles = append(cmd.ExtraFiles, child)
	cmd.Env = append(cmd.Env, "_URUN_STAGE="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	var ended *os.File
	if c, ok := ns.(Container); ok && c.ReportEnd {
		var waiterEnd *os.File
		if ended, waiterEnd, err = socketPair("urun-ended"); err != nil {
			host.Close()
			return nil, fmt.Errorf("create the end socket: %w", err)
		}
		defer waiterEnd.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, waiterEnd)
		msg.header.EndedFD = int32(2 + len(cmd.ExtraFiles))
	}
	if c, ok := createOf(ns); ok {
		for _, in := range c.inheritedFiles(&msg.header) {
			if in.file != nil {
				cmd.ExtraFiles = append(cmd.ExtraFiles, in.file)
				*in.field = int32(2 + len(cmd.ExtraFiles))
			}
		}
	}
	p := &Process{Cmd: cmd, Socket: host, Ended: ended, KeptFD: int(msg.header.KeepFD), ns: ns, mapped: make(chan error, 1)}
	data, err := msg.encode(request)
	if err == nil && len(data) > startMessageRoom {
		// A request of hundreds of image names, say: the socket takes a
		// message as big as its send buffer (up to net.core.wmem_max).
		err = unix.SetsockoptInt(int(host.Fd()), unix.SOL_SOCKET, unix.SO_SNDBUF, 2*len(data))
	}
	if err == nil {
		// The socket buffers it until the stage reads it.
		if _, err = host.Write(data); errors.Is(err, unix.EMSGSIZE) {
			err = fmt.Errorf("its start message of %d bytes is too big for the socket (net.core.wmem_max): %w", len(data), err)
		}
	}
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		p.closeSockets()
		return nil, fmt.Errorf("start stage %s: %w", cmd.Args[0], err)
	}
	mappings, creates := createdUserNS(ns)
	if !creates {
		p.mapped <- nil
		return p, nil
	}
	go func() { p.mapped <- p.writeMaps(mappings) }()
	return p, nil
}

// Run starts the stage and lets it go on at once.
func Run(cmd *exec.Cmd, ns Namespaces, request any) (*Process, error) {
	p, err := Start(cmd, ns, request)
	if err != nil {
		return nil, err
	}
	if err := p.Continue(); err != nil {
		return nil, err
	}
	return p, nil
}

func socketPair(name string) (ours, theirs *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, err
	}
	return os.NewFile(uintptr(fds[0]), name+"-host"), os.NewFile(uintptr(fds[1]), name), nil
}

// createdUserNS says whether the stage makes a user namespace whose maps
// the host then writes (one it enters, or nests in, is mapped already).
func createdUserNS(ns Namespaces) (idmap.Mappings, bool) {
	c, ok := createOf(ns)
	if !ok || c.UserNS != nil {
		return idmap.Mappings{}, false
	}
	return c.Mappings, true
}

func (p *Process) writeMaps(mappings idmap.Mappings) error {
	if _, err := p.expect(UserNSMade); err != nil {
		return err
	}
	trace.Mark("host", "user namespace made")
	if err := idmap.Apply(p.Cmd.Process.Pid, mappings); err != nil {
		return fmt.Errorf("write the user namespace's id maps: %w", err)
	}
	trace.Mark("host", "newuidmap and newgidmap done")
	return nil
}

// Continue waits until the maps are written, lets the stage go on and,
// for a Container, learns init's pid. On failure the stage is gone.
func (p *Process) Continue() error {
	err := <-p.mapped
	if err == nil {
		err = p.proceed()
	}
	if err != nil {
		p.Abort()
	}
	return err
}

// Abort ends a stage that has not been let go on.
func (p *Process) Abort() {
	p.closeSockets()
	p.Cmd.Process.Kill()
	p.Cmd.Wait()
}

func (p *Process) closeSockets() {
	p.Socket.Close()
	if p.Ended != nil {
		p.Ended.Close()
	}
}

func (p *Process) proceed() error {
	switch ns := p.ns.(type) {
	case Join:
		if !ns.Hold {
			return nil
		}
	case Caller:
		return nil
	}
	if err := Send(p.Socket, Proceed, ""); err != nil {
		return fmt.Errorf("let the stage go on: %w", err)
	}
	if _, ok := p.ns.(Container); !ok {
		return nil
	}
	m, err := p.expect(InitPID)
	if err != nil {
		return err
	}
	if p.InitPID, err = strconv.Atoi(m.Text); err != nil {
		return fmt.Errorf("the stage sent a bad pid %q", m.Text)
	}
	return nil
}

// expect reads one message of kind want; a stage that ended instead is
// waited for.
func (p *Process) expect(want Kind) (Message, error) {
	m, err := Expect(p.Socket, want)
	if errors.Is(err, ErrClosed) {
		return m, fmt.Errorf("namespace stage exited before it was ready: %v", p.waitErr())
	}
	return m, err
}

func (p *Process) waitErr() error {
	err := p.Cmd.Wait()
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}
