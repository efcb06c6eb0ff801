package network

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// helperProcess is a started slirp4netns or pasta.
type helperProcess struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	asked   sync.Once
}

// startHelper starts a helper in its own process group, so that the
// terminal's ^C, which urun forwards to the container, does not take the
// container's network away while the container handles it; it is killed
// when urun's thread that started it dies. Its stderr (and stdout, with
// withStdout) goes to logPath.
func startHelper(name string, cmd *exec.Cmd, logPath string, withStdout bool) (*helperProcess, error) {
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create %s's log: %w", name, err)
	}
	defer log.Close()
	cmd.Stderr = log
	if withStdout {
		cmd.Stdout = log
	}
	cmd.SysProcAttr = &unix.SysProcAttr{Setpgid: true, Pdeathsig: unix.SIGKILL, Unshareflags: OwnMountNamespaceForRoot()}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	h := &helperProcess{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(h.done)
	}()
	return h, nil
}

// OwnMountNamespaceForRoot is the Unshareflags for a helper program started
// by the host's root: a mount namespace of its own, whose mounts Go makes
// private before the exec. slirp4netns's --enable-sandbox unmounts the
// host's file systems in a namespace it unshares without making them
// private first; as a user it runs in the container's user namespace,
// whose mount namespaces propagate nothing back, but as root the
// unmounts reach the host's shared mounts (on a systemd host it took
// /sys/fs/cgroup away from the whole machine). A user's helpers need
// none, and could not unshare one.
func OwnMountNamespaceForRoot() uintptr {
	if os.Geteuid() == 0 {
		return unix.CLONE_NEWNS
	}
	return 0
}

// exited says why the helper ended, with the end of its log.
func (h *helperProcess) exited() error {
	return fmt.Errorf("%s exited (%v)%s", h.name, h.cmd.ProcessState, h.logTail())
}

// logTail is the last lines of the helper's log, to explain a failure.
func (h *helperProcess) logTail() string {
	if text := LogTail(h.logPath, 5); text != "" {
		return ": " + text
	}
	return ""
}

// LogTail is the last n lines of the log at path, trimmed; "" when there
// is none.
func LogTail(path string, n int) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// stop asks the helper to end with ask, once however often it is called.
func (h *helperProcess) stop(ask func()) {
	h.asked.Do(ask)
}
