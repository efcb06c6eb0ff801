package launch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// ExecOptions describe one `urun exec`.
type ExecOptions struct {
	Config *config.Config
	// Container is the name, id or id prefix the user gave.
	Container string
	Command   []string
	// Env entries are KEY=VALUE, or KEY alone to pass the caller's value;
	// they override the container's environment.
	Env []string
	// User and WorkDir replace the container's when not empty.
	User, WorkDir                 string
	Interactive, Terminal, Detach bool
	// Privileged gives the process every capability of the container's
	// user namespace (exec --privileged).
	Privileged bool
}

// execNamespaces are the namespaces of the container's init that `urun
// exec` joins after its user namespace; the mount namespace comes last.
// The container has no cgroup namespace of its own today: nsenter.c skips
// one it is in already.
var execNamespaces = []string{"ipc", "uts", "net", "pid", "cgroup", "mnt"}

// Exec runs a command in a running container and returns its exit status;
// with Detach it returns 0 once the command started.
func Exec(o ExecOptions) (int, error) {
	if o.Detach && o.Terminal {
		return 0, errors.New("-t with -d: a detached process keeps no terminal, since no urun stays to hold it; drop -t")
	}
	ec, target, err := prepareExec(o)
	if err != nil {
		return 0, err
	}
	trace.Mark("host", "container found")
	ev := newExecEvents(o.Config, target.state, o.Command)
	p, output, err := startExec(o, ec, target)
	if output != nil {
		// Everything the process wrote is out before urun exits; what
		// its children left in the container write later is not waited
		// for.
		defer output.drain()
	}
	if err != nil {
		return 0, err
	}
	defer p.Socket.Close()
	trace.Mark("host", "stage started")
	if !o.Detach {
		// The stage passes them on to the exec'd process.
		signals := stage.CatchSignals()
		defer signals.Stop()
		signals.To(p.Cmd.Process.Pid)
	}
	report := readStart(p.Socket)
	var term *relay
	if report.master != nil {
		term = startRelay(report.master, o.Interactive, nil)
		report = readStart(p.Socket)
	}
	trace.Mark("host", "command started")
	ev.started(report.err)
	if o.Detach && report.err == nil {
		// The stage stays behind as the process's parent and reaps it.
		p.Cmd.Process.Release()
		return 0, nil
	}
	waitErr := p.Cmd.Wait()
	if term != nil {
		term.wait()
	}
	trace.Mark("host", "process exited")
	if report.err != nil {
		return exitcode.Of(report.err), report.err
	}
	return ev.died(exitcode.FromWait(waitErr))
}

// execTarget is the container a process is exec'd in.
type execTarget struct {
	// joinPID is the process whose namespaces it joins.
	joinPID int
	// cgroup is the container's own cgroup, "" when it has none.
	cgroup string
	// state is the container's record, for its events.
	state containers.State
}

// prepareExec finds the running container, and builds the process's
// configuration from the container's (config.json) and the options.
func prepareExec(o ExecOptions) (inside.ExecConfig, execTarget, error) {
	var ec inside.ExecConfig
	var none execTarget
	list, err := containers.List(o.Config)
	if err != nil {
		return ec, none, err
	}
	c, err := containers.Find(list, o.Container)
	if err != nil {
		return ec, none, err
	}
	if c.StateName() == "paused" {
		return ec, none, fmt.Errorf("container %s is paused: unpause it with 'urun unpause %s' before exec", o.Container, o.Container)
	}
	if c.StateName() != "running" {
		return ec, none, fmt.Errorf("container %s is not running: see its state with 'urun ps -a'", o.Container)
	}
	initPID, err := containers.InitPID(c.Dir)
	if err != nil {
		return ec, none, fmt.Errorf("find container %s's init: %w", o.Container, err)
	}
	joinPID, err := containers.NamespacePID(initPID)
	if err != nil {
		return ec, none, err
	}
	proc, filter, err := readProcess(containers.RunConfigPath(c.Dir))
	if err != nil {
		return ec, none, fmt.Errorf("read container %s's configuration: %w", o.Container, err)
	}
	ec = inside.ExecConfig{
		Args: o.Command, Env: spec.MergeEnv(proc.Env, o.Env, os.LookupEnv),
		User: proc.User.Username, Cwd: proc.Cwd, Terminal: o.Terminal, Detached: o.Detach,
		// The same confinement as the container's command.
		Capabilities: proc.Capabilities, NoNewPrivileges: proc.NoNewPrivileges,
		GroupAdd: proc.groupAdd, Rlimits: proc.Rlimits,
	}
	if o.Privileged {
		all := spec.AllCapabilities()
		ec.Capabilities = &specs.LinuxCapabilities{Bounding: all, Effective: all, Permitted: all}
	}
	// The exec stage is in the container's mount namespace before it
	// could open the host's file: the filter travels with the config.
	if filter != "" {
		if ec.Seccomp, err = os.ReadFile(filter); err != nil {
			return ec, none, fmt.Errorf("read container %s's seccomp filter: %w", o.Container, err)
		}
	}
	if o.User != "" {
		ec.User = o.User
	}
	if o.WorkDir != "" {
		if !filepath.IsAbs(o.WorkDir) {
			return ec, none, fmt.Errorf("the working directory %q is not absolute: give a path starting with /", o.WorkDir)
		}
		ec.Cwd = o.WorkDir
	}
	if ec.Cwd == "" {
		ec.Cwd = "/"
	}
	if o.Terminal {
		// As `docker exec -t` does.
		ec.Env = spec.MergeEnv([]string{"TERM=xterm"}, ec.Env, nil)
		ec.ConsoleSize = terminalSize()
	}
	return ec, execTarget{joinPID: joinPID, cgroup: c.Cgroup, state: c.State}, nil
}

// execProcess is the part of a container's config.json that exec uses:
// decoding the whole runtime spec would cost more than the rest of the
// lookup.
type execProcess struct {
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	Env             []string                 `json:"env"`
	Cwd             string                   `json:"cwd"`
	Capabilities    *specs.LinuxCapabilities `json:"capabilities"`
	NoNewPrivileges bool                     `json:"noNewPrivileges"`
	Rlimits         []specs.POSIXRlimit      `json:"rlimits"`
	// groupAdd is --group-add, from the spec's annotations.
	groupAdd []string
}

// readProcess reads a container's process and the path of its seccomp
// filter from its config.json (a spec.Container).
func readProcess(path string) (execProcess, string, error) {
	var c struct {
		Spec struct {
			Process     execProcess       `json:"process"`
			Annotations map[string]string `json:"annotations"`
		} `json:"spec"`
		Seccomp string `json:"seccomp"`
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return c.Spec.Process, "", err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c.Spec.Process, "", fmt.Errorf("decode %s: %w", path, err)
	}
	if g := c.Spec.Annotations[spec.GroupAddAnnotation]; g != "" {
		c.Spec.Process.groupAdd = strings.Split(g, ",")
	}
	return c.Spec.Process, c.Seccomp, nil
}

// startExec starts the exec stage
// in the namespaces of joinPID. It runs in a process group of its own, so
// that a key the caller's terminal turns into a signal reaches the
// process once, through urun; detached, in a session of its own with no
// stdio.
func startExec(o ExecOptions, ec inside.ExecConfig, target execTarget) (*stage.Process, *stdioRelay, error) {
	cmd, err := stage.Command(stage.Exec)
	if err != nil {
		return nil, nil, err
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var output *stdioRelay
	if o.Detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	if sharesOurPIDNamespace(target.joinPID) {
		// --pid host: the stage does not fork into a PID namespace and
		// execs the command itself, which makes a session of its own;
		// a group or session leader could not.
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	if !o.Detach {
		// Pipes that urun relays, as for urun run (stdio.go); with -t the
		// process gets a pty, and the pipes carry only what the stage
		// says before.
		if cmd.Stdout, cmd.Stderr, output, err = newOutputRelay(true); err != nil {
			return nil, nil, err
		}
		if o.Interactive && !o.Terminal {
			input, err := newInputPipe()
			if err != nil {
				output.closeAll()
				return nil, nil, err
			}
			cmd.Stdin = input.stageEnd
			defer func() {
				input.stageEnd.Close()
				input.start()
			}()
		}
		defer output.start()
	}
	// The exec'd process starts in the container's cgroup, under its
	// limits: started right there where urun may put it there
	// (cgroupv2.JoinableDir), else moved there by systemd before it joins
	// the container.
	join := stage.Join{PID: target.joinPID, Namespaces: execNamespaces, Outlive: o.Detach}
	var unit *cgroupv2.UnitJoin
	if dir := cgroupv2.JoinableDir(target.joinPID); dir != nil {
		defer dir.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(dir.Fd())
	} else if unit = cgroupv2.SystemdJoin(target.cgroup); unit != nil {
		join.Hold = true
	} else if target.cgroup != "" {
		// Never silently outside the limits.
		fmt.Fprintf(os.Stderr, "urun: warning: the process runs outside container %s's cgroup %s and its limits: urun may not move it there from its own cgroup, and no systemd user manager that could is reachable ($XDG_RUNTIME_DIR/bus)\n", o.Container, target.cgroup)
	}
	p, err := stage.Start(cmd, join, ec)
	if err != nil {
		return nil, output, err
	}
	if unit != nil {
		if err := unit.Attach(p.Cmd.Process.Pid); err != nil {
			p.Abort()
			return nil, output, fmt.Errorf("put the process into container %s's cgroup, under its limits: %w", o.Container, err)
		}
		trace.Mark("host", "moved into the container's cgroup by systemd")
	}
	if err := p.Continue(); err != nil {
		return nil, output, err
	}
	return p, output, nil
}
