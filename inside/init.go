// Package inside runs in the container's namespaces as its PID 1, before
// the user's command: it assembles the rootfs, mounts /proc, /sys and
// /dev, pivots into the rootfs, switches to the container's user and execs
// the command. The host side (package launch) wrote everything it needs
// into the container's config.json.
package inside

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/fuseoverlay"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/userns"
)

// ConfigEnv names the environment variable with the path of config.json.
const ConfigEnv = "_URUN_CONFIG"

// Main runs the init stage and does not return: it execs the container's
// command or exits with 125 (urun's error), 126 or 127.
func Main() {
	// Credentials, the parent-death signal and exec are per thread.
	runtime.LockOSThread()
	trace.Mark("init", "main")

	sync := userns.SyncSocket()
	err := run(sync)
	code := 125
	var cmdErr *CommandError
	if errors.As(err, &cmdErr) {
		code = cmdErr.Code
	}
	// The host prints the message; exiting with the code tells it the rest.
	msg := fmt.Sprintf("X%d %s", code, err)
	if sync == nil || unix.Send(int(sync.Fd()), []byte(msg), 0) != nil {
		fmt.Fprintln(os.Stderr, "urun:", err)
	}
	os.Exit(code)
}

func run(sync *os.File) error {
	data, err := os.ReadFile(os.Getenv(ConfigEnv))
	if err != nil {
		return fmt.Errorf("read container config: %w", err)
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("decode container config: %w", err)
	}
	s := c.Spec
	// Nothing mounted here may reach the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	driver, err := fuseoverlay.ForName(c.Rootfs.Driver)
	if err != nil {
		return err
	}
	rootfs := s.Root.Path
	layers := fuseoverlay.Layers{Lower: c.Rootfs.Lower, Dir: c.Rootfs.LinkDir, Upper: c.Rootfs.Upper, Work: c.Rootfs.Work, Volatile: c.Rootfs.Volatile}
	if err := driver.Mount(layers, rootfs); err != nil {
		return fmt.Errorf("assemble rootfs: %w", err)
	}

	trace.Mark("init", "rootfs assembled")
	if err := mountAll(rootfs, s.Mounts); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
		return fmt.Errorf("set hostname: %w", err)
	}

	trace.Mark("init", "mounts done")
	if err := pivotRoot(rootfs); err != nil {
		return err
	}
	if err := bringUpLoopback(); err != nil {
		return err
	}
	proc := s.Process
	user, err := resolveUser(proc.User.Username)
	if err != nil {
		return err
	}
	env := proc.Env
	if !hasEnv(env, "HOME") {
		env = append(env, "HOME="+user.Home)
	}
	if err := os.MkdirAll(proc.Cwd, 0o755); err != nil {
		return fmt.Errorf("create working directory %s: %w", proc.Cwd, err)
	}
	if proc.Terminal {
		if err := setupTerminal(sync, proc.ConsoleSize); err != nil {
			return err
		}
	} else if _, err := unix.Setsid(); err != nil {
		return fmt.Errorf("setsid: %w", err)
	}
	if err := switchUser(user); err != nil {
		return err
	}
	if err := unix.Chdir(proc.Cwd); err != nil {
		return fmt.Errorf("enter working directory %s: %w", proc.Cwd, err)
	}
	path, err := lookPath(proc.Args[0], env)
	if err != nil {
		return err
	}
	if c.WaitForHost {
		if err := waitForHost(sync); err != nil {
			return err
		}
	}
	// Changing credentials cleared the parent-death signal; a container
	// must not outlive its monitor.
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0); err != nil {
		return fmt.Errorf("set parent death signal: %w", err)
	}
	// The command gets no descriptor of urun's but stdio: the sync socket
	// closes on exec, which tells the host the command started.
	if err := unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC); err != nil {
		return fmt.Errorf("close urun's descriptors: %w", err)
	}

	trace.Mark("init", "exec")
	err = unix.Exec(path, proc.Args, env)
	return commandError(proc.Args[0], err)
}

// resolveUser looks the user up in the container's own /etc/passwd and
// /etc/group; an image without them still runs numeric users.
func resolveUser(spec string) (ExecUser, error) {
	passwd, _ := os.ReadFile("/etc/passwd")
	group, _ := os.ReadFile("/etc/group")
	u, err := ResolveUser(spec, bytes.NewReader(passwd), bytes.NewReader(group))
	if err != nil {
		return u, fmt.Errorf("resolve user %q in the image: %w", spec, err)
	}
	return u, nil
}

// waitForHost tells the host that init has passed every check and waits
// until the host sends "G". The host closes the socket instead when it
// could not set the network up, and has said why.
func waitForHost(sync *os.File) error {
	if err := unix.Send(int(sync.Fd()), []byte("W"), 0); err != nil {
		return fmt.Errorf("tell urun the container is ready: %w", err)
	}
	buf := make([]byte, 1)
	for {
		n, err := unix.Read(int(sync.Fd()), buf)
		if err == unix.EINTR {
			continue
		}
		if n == 1 && buf[0] == 'G' {
			trace.Mark("init", "host ready")
			return nil
		}
		return errors.New("urun stopped before the container's network was ready")
	}
}

func switchUser(u ExecUser) error {
	groups := make([]int, len(u.Groups))
	for i, g := range u.Groups {
		groups[i] = int(g)
	}
	if err := unix.Setgroups(groups); err != nil {
		return fmt.Errorf("set supplementary groups %v: %w", u.Groups, err)
	}
	if err := unix.Setresgid(int(u.GID), int(u.GID), int(u.GID)); err != nil {
		return fmt.Errorf("set gid %d (is it inside your subgid range?): %w", u.GID, err)
	}
	if err := unix.Setresuid(int(u.UID), int(u.UID), int(u.UID)); err != nil {
		return fmt.Errorf("set uid %d (is it inside your subuid range?): %w", u.UID, err)
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
