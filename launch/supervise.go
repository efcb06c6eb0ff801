package launch

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/userns"
)

// supervise relays the container's stdio, lets init exec the command
// once the network is attached (attachErr ends the container instead,
// unless init failed first: its reason is the one to show) and waits for
// the end. started, if set, hears whether the command started.
func (c *container) supervise(p *userns.Process, attachErr error, io streams, started func(error)) (int, error) {
	report := readStart(p.Sync)
	if report.master != nil {
		io.terminal(report.master)
		report = readStart(p.Sync)
	}
	if report.waiting {
		if attachErr != nil {
			// init reads the end of the socket as "give up".
			p.Sync.Close()
			report = startReport{code: 125, err: attachErr}
		} else if _, err := p.Sync.Write([]byte("G")); err != nil {
			report = startReport{code: 125, err: fmt.Errorf("tell the container its network is ready: %w", err)}
		} else {
			report = readStart(p.Sync)
		}
	}
	trace.Mark("host", "command started")
	if report.err == nil {
		// For `urun stop`, `exec` and `rm -f`, written after the start so
		// that it costs the start nothing. Without it they cannot reach
		// the container; the container itself does not mind.
		containers.RecordInitPID(c.stateDir, p.InitPID)
		notifyReady()
	}
	if started != nil {
		started(report.err)
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
		return report.code, report.err
	}
	return exitStatus(waitErr)
}

// startReport is what init said before exec: a pty master, that it waits
// for the network, or an error.
type startReport struct {
	master  *os.File
	waiting bool
	code    int
	err     error
}

// readStart reads init's messages; the first is a pty master when one was
// asked for. A clean end of the socket means init exec'd the command.
func readStart(sync *os.File) startReport {
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := unix.Recvmsg(int(sync.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
	if err != nil || n == 0 {
		return startReport{}
	}
	switch buf[0] {
	case 'T':
		msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
		if err == nil && len(msgs) == 1 {
			if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
				return startReport{master: os.NewFile(uintptr(fds[0]), "pty-master")}
			}
		}
		return startReport{code: 125, err: errors.New("the container's init sent a bad terminal")}
	case 'W':
		return startReport{waiting: true}
	case 'E': // init failed in nsenter.c, before Go
		return startReport{code: 125, err: exitcode.New(exitcode.Failed, userns.StageError(string(buf[1:n])))}
	case 'X':
		var code int
		var msg string
		fmt.Sscanf(string(buf[1:n]), "%d", &code)
		if _, rest, ok := strings.Cut(string(buf[1:n]), " "); ok {
			msg = rest
		}
		return startReport{code: code, err: exitcode.New(code, errors.New(msg))}
	}
	return startReport{}
}

// forwardedSignals are the signals people and job controllers send, which
// urun passes to the container's PID 1 as `docker run` does. Catching all
// 64 would cost a sigaction each on every start.
var forwardedSignals = []os.Signal{
	unix.SIGHUP, unix.SIGINT, unix.SIGQUIT, unix.SIGTERM, unix.SIGUSR1,
	unix.SIGUSR2, unix.SIGALRM, unix.SIGCONT, unix.SIGXCPU, unix.SIGXFSZ,
}

func forwardSignals(signals chan os.Signal, pid int) {
	for sig := range signals {
		unix.Kill(pid, sig.(unix.Signal))
	}
}

// exitStatus turns how a stage process ended into urun's exit code.
func exitStatus(waitErr error) (int, error) {
	code, err := exitcode.FromWait(waitErr)
	if err != nil {
		return 0, fmt.Errorf("wait for the namespace stage: %w", err)
	}
	return code, nil
}
