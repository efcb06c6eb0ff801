package launch

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
)

// MonitorName is argv[0] of a detached container's monitor: urun's main
// hands such a process to MonitorMain.
const MonitorName = "urun-monitor"

// monitorConfigEnv carries the caller's effective configuration to the
// monitor.
const monitorConfigEnv = "_URUN_MONITOR_CONFIG"

// Messages on the pipe from a starting monitor to the urun that started
// it: L (its attach socket listens), then S (the command started) or
// E<code> <why>.
const (
	readyListening = 'L'
	readyStarted   = 'S'
	readyFailed    = 'E'
)

// Created is a container made by Create: its record, and the lock on its
// run state that keeps it from starting twice while it is handed over.
type Created struct {
	State containers.State
	Dir   string
	Lock  *os.File
}

// Create makes a container's record and writable layer without starting
// it (`urun create`, and the first half of `urun run -d`). The caller
// holds the returned lock until it has started the container or given up.
func Create(o Options) (*Created, error) {
	c, err := newContainer(o)
	if err != nil {
		return nil, err
	}
	c.state.Detached = true
	if err := c.makeStateDir(); err != nil {
		c.abandon(err)
		return nil, err
	}
	if err := c.register(containers.StatusCreated); err != nil {
		c.abandon(err)
		return nil, err
	}
	return &Created{State: c.state, Dir: c.stateDir, Lock: c.lock}, nil
}

// StartOptions say how StartDetached hands the container over.
type StartOptions struct {
	// Attach connects to the container's output before its command
	// starts, so that nothing it writes is missed (`start -a`).
	Attach *AttachOptions
}

// StartDetached starts a created or stopped container under a monitor
// process of its own, which outlives this urun: it keeps the container's
// stdio, writes its log, records its end and restarts it by its policy.
// lock is the container's run state lock, held by the caller; the monitor
// takes it over. StartDetached returns once the command started, or why
// it did not; with Attach, once the container ended (its exit status) or
// the user detached.
func StartDetached(cfg *config.Config, dir string, lock *os.File, o StartOptions) (int, error) {
	defer lock.Close()
	st, err := containers.ReadState(dir)
	if err != nil {
		return 0, err
	}
	settings, err := containers.ReadSettings(cfg, st)
	if err != nil {
		return 0, err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return 0, fmt.Errorf("encode configuration for the monitor: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return 0, fmt.Errorf("find urun's own binary: %w", err)
	}
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return 0, fmt.Errorf("create pipe: %w", err)
	}
	defer readyR.Close()
	mode := "detach"
	if o.Attach != nil {
		mode = "attach"
	}
	cmd := exec.Command(self)
	cmd.Args = []string{MonitorName, st.ID, mode}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), monitorConfigEnv + "=" + string(cfgJSON)}
	if v, ok := os.LookupEnv("XDG_RUNTIME_DIR"); ok {
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+v)
	}
	// The user's bus, for the container's systemd scope (cgroupv2).
	if v, ok := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
		cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+v)
	}
	cmd.ExtraFiles = []*os.File{lock, readyW}
	// What the monitor itself has to say (a crash, above all) is kept
	// beside the container's log.
	if f, err := os.OpenFile(containers.MonitorLogPath(cfg, st), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		defer f.Close()
		cmd.Stderr = f
	}
	// Its own session, no terminal: closing the caller's terminal must not
	// reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		readyW.Close()
		return 0, fmt.Errorf("start the container's monitor: %w", err)
	}
	readyW.Close()
	// The monitor is nobody's child to wait for once this urun exits.
	defer cmd.Process.Release()

	r := bufio.NewReader(readyR)
	msg, err := r.ReadString('\n')
	if err != nil || len(msg) == 0 || msg[0] != readyListening {
		return 0, monitorFailure(msg, err)
	}
	var attached chan attachResult
	if o.Attach != nil {
		conn, err := dialAttach(dir)
		if err != nil {
			return 0, err
		}
		attached = make(chan attachResult, 1)
		go func() {
			code, err := relayAttach(conn, dir, settings.Spec.Process.Terminal, *o.Attach)
			attached <- attachResult{code, err}
		}()
	}
	msg, err = r.ReadString('\n')
	if err != nil || len(msg) == 0 || msg[0] != readyStarted {
		return 0, monitorFailure(msg, err)
	}
	underSystemd := notifyReady()
	if attached == nil {
		return 0, nil
	}
	res := <-attached
	if underSystemd && res.err == nil {
		// As for a foreground urun run (see Run): urun stop is a clean end.
		if st, err := containers.ReadState(dir); err == nil && st.StoppedByUser {
			return 0, nil
		}
	}
	return res.code, res.err
}

type attachResult struct {
	code int
	err  error
}

// monitorFailure words what a monitor said instead of "started".
func monitorFailure(msg string, err error) error {
	msg = strings.TrimSuffix(msg, "\n")
	if len(msg) > 0 && msg[0] == readyFailed {
		codeText, why, _ := strings.Cut(msg[1:], " ")
		code, cerr := strconv.Atoi(codeText)
		if cerr != nil {
			code = 125
		}
		return exitcode.New(code, errors.New(why))
	}
	if err != nil {
		return fmt.Errorf("the container's monitor exited before the container started (%v)", err)
	}
	return fmt.Errorf("the container's monitor said %q", msg)
}
