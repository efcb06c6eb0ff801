package launch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/health"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/stage"
)

// RunHealthCheck runs the health check command once in the running
// container whose run state is dir (its cgroup cgroup, "" for none), as
// `urun exec` runs a command there: the container's user, working
// directory, environment and confinement. A check that takes longer than
// timeout is killed, with its process group; so is one still running
// when cancel closes. A check that could not run, or was killed, has
// exit code -1 and the reason as its output, as Docker's.
func RunHealthCheck(dir, cgroup string, command []string, timeout time.Duration, cancel <-chan struct{}) health.Result {
	res := health.Result{Start: time.Now()}
	code, output, err := runCheck(dir, cgroup, command, timeout, cancel)
	res.End, res.ExitCode, res.Output = time.Now(), code, output
	if err != nil {
		res.ExitCode, res.Output = -1, err.Error()
	}
	return res
}

// errCheckCancelled: the container ended while its check ran.
var errCheckCancelled = errors.New("the container stopped while its health check ran")

func runCheck(dir, cgroup string, command []string, timeout time.Duration, cancel <-chan struct{}) (int, string, error) {
	initPID, err := containers.InitPID(dir)
	if err != nil {
		return 0, "", fmt.Errorf("find the container's init: %w", err)
	}
	joinPID, err := containers.NamespacePID(initPID)
	if err != nil {
		return 0, "", err
	}
	proc, filter, err := readProcess(containers.RunConfigPath(dir))
	if err != nil {
		return 0, "", fmt.Errorf("read the container's configuration: %w", err)
	}
	ec := inside.ExecConfig{
		Args: command, Env: proc.Env, User: proc.User.Username, Cwd: proc.Cwd,
		Capabilities: proc.Capabilities, NoNewPrivileges: proc.NoNewPrivileges,
	}
	if ec.Cwd == "" {
		ec.Cwd = "/"
	}
	if filter != "" {
		if ec.Seccomp, err = os.ReadFile(filter); err != nil {
			return 0, "", fmt.Errorf("read the container's seccomp filter: %w", err)
		}
	}
	cmd, err := stage.Command(stage.Exec)
	if err != nil {
		return 0, "", err
	}
	// Output and errors together, as Docker keeps them.
	out, outW, err := os.Pipe()
	if err != nil {
		return 0, "", fmt.Errorf("make the health check's output pipe: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = outW, outW
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	p, err := startCheck(cmd, ec, joinPID, cgroup)
	outW.Close()
	if err != nil {
		return 0, "", err
	}
	defer p.Socket.Close()
	collected := make(chan string, 1)
	go func() { collected <- readLimited(out) }()

	type end struct {
		code int
		err  error
	}
	ended := make(chan end, 1)
	go func() {
		report := readStart(p.Socket)
		waitErr := p.Cmd.Wait()
		if report.err != nil {
			ended <- end{exitcode.Of(report.err), report.err}
			return
		}
		code, err := exitcode.FromWait(waitErr)
		ended <- end{code, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var result end
	select {
	case result = <-ended:
	case <-timer.C:
		killCheck(p.Cmd.Process.Pid)
		<-ended
		result = end{err: fmt.Errorf("Health check exceeded timeout (%v)", timeout)}
	case <-cancel:
		killCheck(p.Cmd.Process.Pid)
		<-ended
		result = end{err: errCheckCancelled}
	}
	// What the check left running in the background may hold the pipe:
	// its output is what came until now.
	out.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	output := <-collected
	return result.code, output, result.err
}

// startCheck starts the exec stage in the namespaces of joinPID and in
// the container's cgroup, as startExec does for `urun exec`.
func startCheck(cmd *exec.Cmd, ec inside.ExecConfig, joinPID int, cgroup string) (*stage.Process, error) {
	join := stage.Join{PID: joinPID, Namespaces: execNamespaces}
	var unit *cgroupv2.UnitJoin
	if dir := cgroupv2.JoinableDir(joinPID); dir != nil {
		defer dir.Close()
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(dir.Fd())
	} else if unit = cgroupv2.SystemdJoin(cgroup); unit != nil {
		join.Hold = true
	}
	p, err := stage.Start(cmd, join, ec)
	if err != nil {
		return nil, err
	}
	if unit != nil {
		if err := unit.Attach(p.Cmd.Process.Pid); err != nil {
			p.Abort()
			return nil, fmt.Errorf("put the health check into the container's cgroup: %w", err)
		}
	}
	if err := p.Continue(); err != nil {
		return nil, err
	}
	return p, nil
}

// killCheck kills a check's process group (the check runs in a session
// of its own under the exec stage stagePID, see inside.ExecMain), then
// the stage.
func killCheck(stagePID int) {
	pid := strconv.Itoa(stagePID)
	if children, err := os.ReadFile("/proc/" + pid + "/task/" + pid + "/children"); err == nil {
		for _, child := range strings.Fields(string(children)) {
			if n, err := strconv.Atoi(child); err == nil {
				unix.Kill(-n, unix.SIGKILL)
				unix.Kill(n, unix.SIGKILL)
			}
		}
	}
	unix.Kill(stagePID, unix.SIGKILL)
}

// readLimited reads r to its end (or its read deadline) and returns the
// first health.MaxOutput bytes.
func readLimited(r io.Reader) string {
	var buf bytes.Buffer
	io.Copy(&buf, io.LimitReader(r, health.MaxOutput))
	io.Copy(io.Discard, r)
	return buf.String()
}
