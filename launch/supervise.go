package launch

import (
	"errors"
	"fmt"
	"os"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/stage"

	"github.com/urun/urun/trace"
)

// supervise relays the container's stdio, lets init exec the command
// once the network is attached (attachErr ends the container instead,
// unless init failed first: its reason is the one to show) and waits for
// the end. started, if set, hears that the command started; a command
// that did not start is runOnce's to report, once its end is recorded.
func (c *container) supervise(p *stage.Process, attachErr error, io streams, started func(error)) (int, error) {
	report := readStart(p.Socket)
	if report.master != nil {
		io.terminal(report.master)
		report = readStart(p.Socket)
	}
	if report.waiting {
		if attachErr != nil {
			// init reads the end of the socket as "give up".
			p.Socket.Close()
			report = startReport{err: attachErr}
		} else if err := stage.Send(p.Socket, stage.Go, ""); err != nil {
			report = startReport{err: fmt.Errorf("tell the container its network is ready: %w", err)}
		} else {
			report = readStart(p.Socket)
		}
	}
	trace.Mark("host", "command started")
	if report.err == nil {
		c.neverRan = false
		// For `urun stop`, `exec` and `rm -f`, written after the start so
		// that it costs the start nothing. Without it they cannot reach
		// the container; the container itself does not mind.
		containers.RecordInitPID(c.stateDir, p.InitPID)
		notifyReady()
		c.emit("start")
	}
	c.startErr = report.err
	if started != nil && report.err == nil {
		started(nil)
	}
	if p.Ended != nil {
		// Init ended. The monitor is the last process in the cgroup, which
		// is there, with its OOM count, until the monitor is let go.
		p.Ended.Read(make([]byte, 1))
		c.cgroup.NoteOOMKills()
		p.Ended.Close()
	}
	waitErr := p.Cmd.Wait()
	containers.ForgetInitPID(c.stateDir)
	if c.net != nil {
		c.net.Close()
	}
	io.wait()
	if report.err != nil {
		return exitcode.Of(report.err), report.err
	}
	return exitcode.FromWait(waitErr)
}

// startReport is what init said before exec: a pty master, that it waits
// for the network, or an error.
type startReport struct {
	master  *os.File
	waiting bool
	err     error
}

// readStart reads init's messages; the first is a pty master when one was
// asked for. A clean end of the socket means init exec'd the command.
func readStart(sock *os.File) startReport {
	m, err := stage.Receive(sock)
	if errors.Is(err, stage.ErrClosed) {
		return startReport{}
	}
	if err != nil { // init failed in nsenter.c, before Go
		return startReport{err: exitcode.New(125, err)}
	}
	switch m.Kind {
	case stage.Terminal:
		if m.File == nil {
			return startReport{err: errors.New("the container's init sent a bad terminal")}
		}
		return startReport{master: m.File}
	case stage.Waiting:
		return startReport{waiting: true}
	case stage.Failed:
		return startReport{err: m.Failure()}
	}
	return startReport{}
}
