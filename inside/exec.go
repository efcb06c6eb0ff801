package inside

import (
	"errors"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// ExecConfig is the process `urun exec` starts in a container.
type ExecConfig struct {
	Args []string `json:"args"`
	// Env is complete: the container's environment with -e applied.
	Env []string `json:"env"`
	// User is Docker's --user form, resolved in the container's files.
	User        string     `json:"user"`
	Cwd         string     `json:"cwd"`
	Terminal    bool       `json:"terminal,omitempty"`
	ConsoleSize *specs.Box `json:"console_size,omitempty"`
	// Detached: the process outlives the urun that started it.
	Detached bool `json:"detached,omitempty"`
	// Capabilities and NoNewPrivileges are the container's.
	Capabilities    *specs.LinuxCapabilities `json:"capabilities,omitempty"`
	NoNewPrivileges bool                     `json:"no_new_privileges,omitempty"`
	// Seccomp is the container's compiled filter (see package seccomp).
	Seccomp []byte `json:"seccomp,omitempty"`
	// GroupAdd and Rlimits are the container's (--group-add, --ulimit).
	GroupAdd []string            `json:"group_add,omitempty"`
	Rlimits  []specs.POSIXRlimit `json:"rlimits,omitempty"`
}

// ExecMain runs the exec stage (stage.Exec): in the container's namespaces, as root of
// its user namespace, it starts the process as init does its command. It
// returns only the exit code of a failure: 125 (urun's), 126 or 127.
func ExecMain() int {
	// Credentials, the parent-death signal and exec are per thread.
	runtime.LockOSThread()
	trace.Mark("exec", "main")
	sync := stage.Socket()
	return report(sync, execProcess(sync))
}

func execProcess(sync *os.File) error {
	var c ExecConfig
	if err := stage.Request(&c); err != nil {
		return err
	}
	if len(c.Args) == 0 {
		return errors.New("no command to exec")
	}
	return startProcess(sync, process{
		args: c.Args, env: c.Env, user: c.User, cwd: c.Cwd,
		terminal: c.Terminal, consoleSize: c.ConsoleSize,
		stage: "exec", dieWithParent: !c.Detached,
		capabilities: c.Capabilities, noNewPrivileges: c.NoNewPrivileges,
		seccomp:  c.Seccomp,
		groupAdd: c.GroupAdd, rlimits: c.Rlimits,
	})
}
