package userns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/idmap"
	"github.com/urun/urun/trace"
)

// Options say which namespaces the spawned process gets besides its user
// namespace.
type Options struct {
	Mappings idmap.Mappings
	// Flags are CLONE_NEW* flags for namespaces made inside the user
	// namespace.
	Flags uintptr
	// ForkInit forks the process that becomes PID 1 of the new PID
	// namespace; the spawned process stays behind as its monitor.
	ForkInit bool
	// RemoveOnExit is a directory the monitor deletes from inside the user
	// namespace once init has exited (files in it may belong to
	// subordinate ids the caller cannot delete).
	RemoveOnExit string
	// RemoveNow are directories the monitor deletes from inside the user
	// namespace while init runs.
	RemoveNow []string
	// ForkPorts forks a process in stage Ports beside init (ForkInit only).
	ForkPorts bool
	// TinyInit (ForkInit only) keeps a small init written in C as PID 1 of
	// the new PID namespace (`urun run --init`): it reaps zombies and
	// forwards signals; the Init stage runs as its child, PID 2.
	TinyInit bool

	// JoinPID, when not zero, makes the stage join the namespaces of that
	// (host) pid instead of creating new ones: its user namespace first,
	// as root of it, then each of JoinNamespaces ("ipc", "uts", "net",
	// "pid", "mnt", "cgroup": the names in /proc/PID/ns). With "pid" the
	// stage forks, since only children enter a PID namespace: the forked
	// process runs the Child stage and the stage waits for it and exits
	// with its status. Mappings, Flags and ForkInit do not apply.
	JoinPID        int
	JoinNamespaces []string
	// Detached (JoinPID only) lets the stage and its child outlive the
	// caller (`urun exec -d`): neither gets a parent-death signal.
	Detached bool
	// ReportEnd (ForkInit only) makes the monitor say on Process.Ended
	// when init ended, and stay until the caller closes it: the cgroup it
	// shares with the container stays until then.
	ReportEnd bool
	// HoldJoin (JoinPID only) makes the stage wait for Continue before it
	// joins and forks, so the caller can have it moved to another cgroup
	// first.
	HoldJoin bool
}

// Process is a spawned namespace stage.
type Process struct {
	Cmd *exec.Cmd
	// InitPID is init's pid in the host's PID namespace (ForkInit only),
	// known once Continue has returned.
	InitPID int
	// Sync is the host's end of the socket to the stage.
	Sync *os.File
	// Ended (ReportEnd only) reads a byte once init ended; closing it
	// lets the monitor exit.
	Ended *os.File

	opts   Options
	mapped chan error
}

// Start starts cmd, which must run a binary that links this package, in a
// new user namespace mapped with opts.Mappings, and writes the maps in the
// background: the stage waits until Continue, so the caller can prepare
// what the stage needs meanwhile.
func Start(cmd *exec.Cmd, opts Options) (*Process, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("create sync socket: %w", err)
	}
	host := os.NewFile(uintptr(fds[0]), "urun-sync-host")
	child := os.NewFile(uintptr(fds[1]), "urun-sync-child")
	defer child.Close()

	cmd.ExtraFiles = append(cmd.ExtraFiles, child)
	childFD := 2 + len(cmd.ExtraFiles)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	var ended *os.File
	if opts.ReportEnd {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			host.Close()
			return nil, fmt.Errorf("create the end socket: %w", err)
		}
		ended = os.NewFile(uintptr(fds[0]), "urun-ended-host")
		monitorEnd := os.NewFile(uintptr(fds[1]), "urun-ended-monitor")
		defer monitorEnd.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, monitorEnd)
		cmd.Env = append(cmd.Env, "_URUN_NSENDED="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	}
	cmd.Env = append(cmd.Env,
		"_URUN_NSENTER="+strconv.Itoa(childFD),
		"_URUN_NSFLAGS="+strconv.FormatUint(uint64(opts.Flags), 16))
	if opts.ForkInit {
		cmd.Env = append(cmd.Env, "_URUN_NSFORK=1")
	}
	if opts.ForkPorts {
		cmd.Env = append(cmd.Env, "_URUN_NSPORTS=1")
	}
	if opts.RemoveOnExit != "" {
		cmd.Env = append(cmd.Env, "_URUN_NSREMOVE="+opts.RemoveOnExit)
	}
	if len(opts.RemoveNow) > 0 {
		cmd.Env = append(cmd.Env, "_URUN_NSREMOVENOW="+strings.Join(opts.RemoveNow, "\n"))
	}
	if opts.TinyInit {
		cmd.Env = append(cmd.Env, "_URUN_NSTINYINIT=1")
	}
	if opts.JoinPID != 0 {
		cmd.Env = append(cmd.Env, "_URUN_NSJOIN="+strconv.Itoa(opts.JoinPID), "_URUN_NSJOINNS="+strings.Join(opts.JoinNamespaces, ","))
	}
	if opts.Detached {
		cmd.Env = append(cmd.Env, "_URUN_NSDETACH=1")
	}
	if opts.HoldJoin {
		cmd.Env = append(cmd.Env, "_URUN_NSJOINHOLD=1")
	}

	if err := cmd.Start(); err != nil {
		host.Close()
		if ended != nil {
			ended.Close()
		}
		return nil, fmt.Errorf("start %s: %w", cmd.Path, err)
	}

	p := &Process{Cmd: cmd, Sync: host, Ended: ended, opts: opts, mapped: make(chan error, 1)}
	if opts.JoinPID != 0 {
		// The namespaces it joins have their maps.
		p.mapped <- nil
		return p, nil
	}
	go func() { p.mapped <- p.writeMaps() }()
	return p, nil
}

// Run starts the stage and lets it go on at once.
func Run(cmd *exec.Cmd, opts Options) (*Process, error) {
	p, err := Start(cmd, opts)
	if err != nil {
		return nil, err
	}
	if err := p.Continue(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *Process) writeMaps() error {
	if _, err := p.expect('U'); err != nil {
		return err
	}
	trace.Mark("host", "user namespace made")
	if err := idmap.Apply(p.Cmd.Process.Pid, p.opts.Mappings); err != nil {
		return fmt.Errorf("write the user namespace's id maps: %w", err)
	}
	trace.Mark("host", "newuidmap and newgidmap done")
	return nil
}

// Continue waits until the maps are written, lets the stage go on and,
// with ForkInit, learns init's pid. On failure the stage is gone.
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
	p.Sync.Close()
	if p.Ended != nil {
		p.Ended.Close()
	}
	p.Cmd.Process.Kill()
	p.Cmd.Wait()
}

func (p *Process) proceed() error {
	if p.opts.JoinPID != 0 && !p.opts.HoldJoin {
		return nil // the stage waits for nothing
	}
	if _, err := p.Sync.Write([]byte("M")); err != nil {
		return fmt.Errorf("let the namespace stage go on: %w", err)
	}
	if !p.opts.ForkInit {
		return nil
	}
	msg, err := p.expect('P')
	if err != nil {
		return err
	}
	p.InitPID, err = strconv.Atoi(msg)
	if err != nil {
		return fmt.Errorf("namespace stage sent bad pid %q", msg)
	}
	return nil
}

// expect reads one message and returns its text after the wanted letter.
func (p *Process) expect(want byte) (string, error) {
	buf := make([]byte, 512)
	n, err := p.Sync.Read(buf)
	if err != nil || n == 0 {
		return "", fmt.Errorf("namespace stage exited before it was ready: %v", p.waitErr())
	}
	msg := string(buf[:n])
	if msg[0] == 'E' {
		return "", StageError(msg[1:])
	}
	if msg[0] != want {
		return "", fmt.Errorf("namespace stage sent %q, want %q", msg, want)
	}
	return msg[1:], nil
}

func (p *Process) waitErr() error {
	err := p.Cmd.Wait()
	if err == nil {
		return errors.New("exit status 0")
	}
	return err
}

// StageError turns a failure nsenter.c reported, "E<errno> <what>" without
// the E, into an error that names the fix where one is known.
func StageError(msg string) error {
	num, what, _ := strings.Cut(msg, " ")
	n, _ := strconv.Atoi(num)
	errno := syscall.Errno(n)
	err := fmt.Errorf("%s: %w", what, errno)
	if what == "unshare user namespace" {
		return fmt.Errorf("%w\n%s", err, UserNamespaceHint(errno))
	}
	return err
}

// UserNamespaceHint explains why creating a user namespace failed and how
// to allow it.
func UserNamespaceHint(errno syscall.Errno) string {
	if errno == unix.ENOSPC {
		return "user namespaces are limited to zero: raise the sysctl user.max_user_namespaces (e.g. 'sudo sysctl -w user.max_user_namespaces=28633')"
	}
	if v, err := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); err == nil && strings.TrimSpace(string(v)) == "0" {
		return "unprivileged user namespaces are disabled: enable them with 'sudo sysctl -w kernel.unprivileged_userns_clone=1'"
	}
	if v, err := os.ReadFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); err == nil && strings.TrimSpace(string(v)) == "1" {
		return "AppArmor restricts unprivileged user namespaces: allow urun with an AppArmor profile granting 'userns,' or set 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'"
	}
	return "unprivileged user namespaces are not available here (a seccomp filter or a container around urun may forbid them)"
}
