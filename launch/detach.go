package launch

import (
	"fmt"
	"os"
	"syscall"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/stage"
)

// monitorRequest is what StartDetached sends the monitor (stage.Monitor):
// the caller's effective configuration, the container, and whether a
// client attaches before the command starts.
type monitorRequest struct {
	Config *config.Config `json:"config"`
	ID     string         `json:"id"`
	Attach bool           `json:"attach,omitempty"`
}

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
	noticeSingleIDFor(c.stderr, c.spec)
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
	// Told here, to the user's terminal; once, after Create's.
	noticeSingleIDFor(os.Stderr, settings.Spec)
	cmd, err := stage.Command(stage.Monitor)
	if err != nil {
		return 0, err
	}
	// Only for ps to show: the monitor reads its request.
	mode := "detach"
	if o.Attach != nil {
		mode = "attach"
	}
	cmd.Args = append(cmd.Args, st.ID, mode)
	if v, ok := os.LookupEnv("XDG_RUNTIME_DIR"); ok {
		cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+v)
	}
	// The user's bus, for the container's systemd scope (cgroupv2).
	if v, ok := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
		cmd.Env = append(cmd.Env, "DBUS_SESSION_BUS_ADDRESS="+v)
	}
	// The lock is the monitor's fd 3 (monitorLockFD).
	cmd.ExtraFiles = []*os.File{lock}
	// What the monitor itself has to say (a crash, above all) is kept
	// beside the container's log.
	if f, err := os.OpenFile(containers.MonitorLogPath(cfg, st), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		defer f.Close()
		cmd.Stderr = f
	}
	// Its own session, no terminal: closing the caller's terminal must not
	// reach it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	p, err := stage.Start(cmd, stage.Caller{}, monitorRequest{Config: cfg, ID: st.ID, Attach: o.Attach != nil})
	if err != nil {
		return 0, fmt.Errorf("start the container's monitor: %w", err)
	}
	defer p.Socket.Close()
	// The monitor is nobody's child to wait for once this urun exits.
	defer cmd.Process.Release()

	if err := expectFromMonitor(p.Socket, stage.Listening); err != nil {
		return 0, err
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
	if err := expectFromMonitor(p.Socket, stage.Started); err != nil {
		return 0, err
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

// expectFromMonitor reads the monitor's next message; what it says
// instead of want becomes the error.
func expectFromMonitor(sock *os.File, want stage.Kind) error {
	m, err := stage.Receive(sock)
	switch {
	case err != nil:
		return fmt.Errorf("the container's monitor exited before the container started (%v)", err)
	case m.Kind == stage.Failed:
		return m.Failure()
	case m.Kind != want:
		return fmt.Errorf("the container's monitor said %q", string(rune(m.Kind))+m.Text)
	}
	return nil
}
