package stage

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
)

// ForwardedSignals are the signals people and job controllers send, which
// urun passes on to what it runs, as `docker run` does. Catching all 64
// would cost a sigaction each on every start. nsenter.c's waiting
// processes pass on the same list (forwarded_signals).
var ForwardedSignals = []os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1,
	unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT, unix.SIGXCPU, unix.SIGXFSZ,
}

// SignalRelay passes on the signals urun caught to the process it runs.
type SignalRelay struct {
	caught chan os.Signal
}

// CatchSignals starts catching sigs (ForwardedSignals if none are given)
// before the process to pass them on to is known: one that comes meanwhile
// waits for To.
func CatchSignals(sigs ...os.Signal) *SignalRelay {
	if len(sigs) == 0 {
		sigs = ForwardedSignals
	}
	r := &SignalRelay{caught: make(chan os.Signal, 16)}
	signal.Notify(r.caught, sigs...)
	return r
}

// To passes every caught signal on to pid from now until Stop.
func (r *SignalRelay) To(pid int) {
	go func() {
		for sig := range r.caught {
			unix.Kill(pid, sig.(unix.Signal))
		}
	}()
}

// Stop ends the catching: the signals act on urun again.
func (r *SignalRelay) Stop() {
	signal.Stop(r.caught)
}

// RunToEnd runs cmd as a stage in ns with request and waits for its end,
// for a stage that reports only by its exit status and on stderr (the
// image helper). Meanwhile it passes sigs on to it: a signal sent to the
// whole process group reaches the stage as well, and urun waits for it
// to clean up instead of dying first. A status other than 0 is a silent
// *exitcode.Error: the stage has said why.
func RunToEnd(cmd *exec.Cmd, ns Namespaces, request any, sigs ...os.Signal) error {
	relay := CatchSignals(sigs...)
	defer relay.Stop()
	p, err := Run(cmd, ns, request)
	if err != nil {
		return err
	}
	p.Socket.Close()
	relay.To(cmd.Process.Pid)
	code, err := exitcode.FromWait(cmd.Wait())
	if err != nil {
		return fmt.Errorf("wait for stage %s: %w", cmd.Args[0], err)
	}
	if code != 0 {
		return exitcode.New(code, nil)
	}
	return nil
}
