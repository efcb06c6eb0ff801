package containers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
)

// killWait bounds how long Stop waits, after SIGKILL, for the container's
// urun to record the end and let go of the lock.
const killWait = 10 * time.Second

// pollInterval is how often Stop and Wait look at the lock.
const pollInterval = 20 * time.Millisecond

// ParseSignal reads a signal as Docker takes it: a name with or without
// SIG (TERM, SIGTERM, sigterm) or a number.
func ParseSignal(s string) (unix.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, fmt.Errorf("invalid signal %q: numbers run from 1 to 64", s)
		}
		return unix.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, fmt.Errorf("invalid signal %q: use a name such as TERM, KILL, HUP or a number", s)
}

// NotRunningError says a container is not running.
type NotRunningError struct{ Ref string }

func (e *NotRunningError) Error() string {
	return fmt.Sprintf("container %s is not running", e.Ref)
}

// Kill sends sig to the container's init (PID 1 in it), as `docker kill`
// does. A PID 1 ignores signals it has no handler for, except SIGKILL.
// A paused container is unpaused for SIGKILL, as Docker does; other
// signals wait for `urun unpause`.
func Kill(cfg *config.Config, c Container, ref string, sig unix.Signal) error {
	if !locked(c.Dir) {
		return &NotRunningError{Ref: ref}
	}
	pid, err := InitPID(c.Dir)
	if err != nil {
		return fmt.Errorf("container %s has not started its command yet: try again", ref)
	}
	if sig == unix.SIGKILL {
		// A frozen monitor could not record the end.
		if err := thaw(cfg, c); err != nil {
			return fmt.Errorf("kill container %s: %w", ref, err)
		}
	}
	if err := unix.Kill(pid, sig); err != nil && !errors.Is(err, unix.ESRCH) {
		return fmt.Errorf("send %s to container %s (pid %d): %w", unix.SignalName(sig), ref, pid, err)
	}
	Emit(cfg, c.State, "kill", "signal", strconv.Itoa(int(sig)))
	return nil
}

// Stop ends a running container for good: its restart policy does not
// bring it back. Its init gets sig; if it still runs after timeout, it gets
// SIGKILL. Between restarts the monitor itself is told to end. Stopping a
// stopped container does nothing.
func Stop(cfg *config.Config, c Container, sig unix.Signal, timeout time.Duration) error {
	if !locked(c.Dir) {
		return nil
	}
	if _, err := Update(cfg, c.Dir, func(st *State) error {
		st.StoppedByUser = true
		return nil
	}); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := thaw(cfg, c); err != nil {
		return err
	}
	killAt := time.Now().Add(timeout)
	giveUpAt := killAt.Add(killWait)
	current := sig
	var signalled int // the pid that got current
	for {
		if !locked(c.Dir) {
			Emit(cfg, c.State, "stop")
			return nil
		}
		now := time.Now()
		if current != unix.SIGKILL && !now.Before(killAt) {
			current, signalled = unix.SIGKILL, 0
		}
		if now.After(giveUpAt) {
			return fmt.Errorf("the container did not stop within %s of SIGKILL: its lock is held by %s", killWait, lockHolders(c.Dir))
		}
		if pid, err := InitPID(c.Dir); err == nil {
			if pid != signalled {
				unix.Kill(pid, current)
				Emit(cfg, c.State, "kill", "signal", strconv.Itoa(int(current)))
				signalled = pid
			}
		} else if pid, err := monitorPID(c.Dir); err == nil && pid != signalled {
			// No command runs: the monitor waits to restart it.
			unix.Kill(pid, unix.SIGTERM)
			signalled = pid
		}
		time.Sleep(pollInterval)
	}
}

// lockHolders names the processes that hold dir's lock.
func lockHolders(dir string) string {
	f, err := os.Open(dir)
	if err != nil {
		return "another process"
	}
	defer f.Close()
	return lockwait.Holders(f)
}

// monitorPID reads a detached container's monitor's pid, and checks that
// the process is a urun monitor: the number of an ended process may have
// been reused.
func monitorPID(dir string) (int, error) {
	pid, err := readPIDFile(filepath.Join(dir, monitorPIDFile))
	if err != nil {
		return 0, err
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.HasPrefix(string(cmdline), "urun-monitor\x00") {
		return 0, fmt.Errorf("pid %d is not a container's monitor", pid)
	}
	return pid, nil
}

// Wait waits until the container has stopped (a created one, until it
// has run and stopped) and returns its exit code.
func Wait(cfg *config.Config, c Container) (int, error) {
	for {
		if locked(c.Dir) {
			waitForUnlock(c.Dir)
		}
		st, err := ReadState(c.Dir)
		if errors.Is(err, os.ErrNotExist) {
			// A --rm container removed its record at its end.
			return c.ExitStatus(), nil
		}
		if err != nil {
			return 0, err
		}
		now := Container{State: st, Dir: c.Dir, Running: locked(c.Dir)}
		// A start that failed left it created, with the reason.
		if now.StateName() == "exited" || !now.Running && st.ended() {
			return now.ExitStatus(), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitForUnlock blocks until nothing holds dir's lock: a shared lock
// waits for the container's urun's exclusive one.
func waitForUnlock(dir string) {
	f, err := os.Open(dir)
	if err != nil {
		return
	}
	defer f.Close()
	for unix.Flock(int(f.Fd()), unix.LOCK_SH) == unix.EINTR {
	}
}
