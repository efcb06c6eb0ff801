package inside

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/trace"
	"github.com/urun/urun/userns"
)

// ExecStageName is argv[0] of the stage of `urun exec`, which runs in a
// running container's namespaces (joined by package userns): urun's main
// dispatches on it.
const ExecStageName = "urun-exec"

// ExecConfigEnv names the environment variable that carries the exec'd
// process's ExecConfig, in JSON, to the stage.
const ExecConfigEnv = "_URUN_EXEC"

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
}

// ExecMain runs the exec stage: in the container's namespaces, as root of
// its user namespace, it starts the process as init does its command. It
// returns only the exit code of a failure: 125 (urun's), 126 or 127.
func ExecMain() int {
	// Credentials, the parent-death signal and exec are per thread.
	runtime.LockOSThread()
	trace.Mark("exec", "main")
	sync := userns.SyncSocket()
	return report(sync, execProcess(sync))
}

func execProcess(sync *os.File) error {
	var c ExecConfig
	if err := json.Unmarshal([]byte(os.Getenv(ExecConfigEnv)), &c); err != nil {
		return fmt.Errorf("decode the exec configuration: %w", err)
	}
	if len(c.Args) == 0 {
		return errors.New("no command to exec")
	}
	return startProcess(sync, process{
		args: c.Args, env: c.Env, user: c.User, cwd: c.Cwd,
		terminal: c.Terminal, consoleSize: c.ConsoleSize,
		stage: "exec", dieWithParent: !c.Detached,
		capabilities: c.Capabilities, noNewPrivileges: c.NoNewPrivileges,
		seccomp: c.Seccomp,
	})
}
