package inside

import (
	"errors"
	"fmt"
	"os"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/trace"
)

// process is what startProcess execs and how.
type process struct {
	args, env   []string
	user, cwd   string
	terminal    bool
	consoleSize *specs.Box
	// stage names the caller in trace marks.
	stage string
	// makeCwd creates a missing working directory, as `docker run` does
	// (`docker exec` does not).
	makeCwd bool
	// cwdOwnedByUser gives a working directory it made to the user (a
	// build's RUN, as Docker's builder does).
	cwdOwnedByUser bool
	// dieWithParent ends the process when its parent (the monitor, the
	// exec stage) does.
	dieWithParent bool
	// beforeExec runs once every check has passed, right before exec.
	beforeExec func() error
	// capabilities are the process's bounding, permitted and effective
	// sets (the same list each; nil keeps the stage's own, all of them).
	capabilities *specs.LinuxCapabilities
	// noNewPrivileges sets no_new_privs: setuid bits and file
	// capabilities give nothing at exec.
	noNewPrivileges bool
	// seccomp is the BPF program to load right before exec; nil for none.
	seccomp []byte
	// groupAdd are --group-add's groups, rlimits --ulimit's limits.
	groupAdd []string
	rlimits  []specs.POSIXRlimit
}

// startProcess resolves the user in the container's /etc/passwd, gives
// the process its terminal or its own session, switches to the user and
// the working directory and execs the command. It returns only on failure.
func startProcess(sync *os.File, p process) error {
	user, err := resolveUser(p.user)
	if err != nil {
		return err
	}
	if user.Groups, err = supplementaryGroups(user, p.groupAdd); err != nil {
		return err
	}
	env := p.env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+user.Home)
	}
	if p.makeCwd {
		_, missing := os.Stat(p.cwd)
		if err := os.MkdirAll(p.cwd, 0o755); err != nil {
			return fmt.Errorf("create working directory %s: %w", p.cwd, err)
		}
		if missing != nil && p.cwdOwnedByUser {
			if err := os.Lchown(p.cwd, int(user.UID), int(user.GID)); err != nil {
				return fmt.Errorf("give working directory %s to %d:%d: %w", p.cwd, user.UID, user.GID, err)
			}
		}
	}
	if p.terminal {
		if err := setupTerminal(sync, p.consoleSize); err != nil {
			return err
		}
	} else if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := setRlimits(p.rlimits); err != nil {
		return err
	}
	var keep capSet
	if p.capabilities != nil {
		if keep, err = capabilityMask(p.capabilities.Bounding); err != nil {
			return err
		}
		if err := limitBoundingSet(keep); err != nil {
			return err
		}
	}
	// Without no_new_privs only CAP_SYS_ADMIN allows loading a filter,
	// so it goes in before the user and capabilities change; the few
	// calls left until exec must then pass it (Docker's profile allows
	// them). With no_new_privs it goes in last.
	if !p.noNewPrivileges && p.seccomp != nil {
		if err := loadSeccomp(p.seccomp); err != nil {
			return err
		}
	}
	if err := switchUser(user); err != nil {
		return err
	}
	if p.capabilities != nil {
		if err := setCapabilities(keep); err != nil {
			return err
		}
	}
	if err := unix.Chdir(p.cwd); err != nil {
		if !p.makeCwd {
			return exitcode.New(exitcode.CannotExecute, fmt.Errorf("enter working directory %s: %v: create it first or give another -w", p.cwd, err))
		}
		return fmt.Errorf("enter working directory %s: %w", p.cwd, err)
	}
	// A working directory reached through a descriptor of urun's
	// (/proc/self/fd/N) could lie outside the container's root, where the
	// kernel cannot name it (the class of CVE-2024-21626).
	if _, err := unix.Getwd(); err != nil {
		return exitcode.New(exitcode.CannotExecute, fmt.Errorf("working directory %s is outside the container: give another -w", p.cwd))
	}
	path, err := lookPath(p.args[0], env)
	if err != nil {
		return err
	}
	if p.beforeExec != nil {
		if err := p.beforeExec(); err != nil {
			return err
		}
	}
	if p.noNewPrivileges {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set no_new_privs: %w", err)
		}
	}
	// Changing credentials cleared the parent-death signal.
	if p.dieWithParent {
		if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
			return fmt.Errorf("set parent death signal: %w", err)
		}
	}
	// The command gets no descriptor of urun's but stdio: the sync socket
	// closes on exec, which tells the host the command started.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close urun's descriptors: %w", err)
	}
	if p.noNewPrivileges && p.seccomp != nil {
		if err := loadSeccomp(p.seccomp); err != nil {
			return err
		}
	}

	trace.Mark(p.stage, "exec")
	err = unix.Exec(path, p.args, env)
	return commandError(p.args[0], err)
}

func switchUser(u ExecUser) error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	// A namespace urun mapped itself (a single id: no subordinate ids)
	// denies setgroups; it maps no group the user could be given anyway
	// (the host refuses --group-add there).
	if err := unix.Setgroups(groups); err != nil && !(errors.Is(err, unix.EPERM) && setgroupsDenied()) {
		return fmt.Errorf("set supplementary groups %v: %w", u.Groups, err)
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("set gid %d (is it inside the ids urun maps: yours and your range in /etc/subgid?): %w", u.GID, err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("set uid %d (is it inside the ids urun maps: yours and your range in /etc/subuid?): %w", u.UID, err)
	}
	return nil
}

func hasEnv(env []string, key string) bool {
	for _, e := range env {
		if strings.HasPrefix(e, key+"=") {
			return true
		}
	}
	return false
}

// setgroupsDenied says whether this user namespace denies setgroups.
func setgroupsDenied() bool {
	data, err := os.ReadFile("/proc/self/setgroups")
	return err == nil && strings.TrimSpace(string(data)) == "deny"
}
