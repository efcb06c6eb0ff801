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

	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/hooks"
	"github.com/urun/urun/rootfs"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// Main runs the init stage (stage.Init) and does not return: it execs the
// container's command or exits with 125 (urun's error), 126 or 127.
func Main() int {
	// Credentials, the parent-death signal and exec are per thread.
	runtime.LockOSThread()
	trace.Mark("init", "main")

	sync := stage.Socket()
	return report(sync, run(sync))
}

// report tells the host why the stage failed before exec (or says it on
// stderr when there is no host to tell) and returns the exit code: 125
// for urun's own error, 126 or 127 for the command's.
func report(sync *os.File, err error) int {
	code := exitcode.Of(err)
	// The host prints the message; exiting with the code tells it the rest.
	if sync == nil || stage.SendFailure(sync, code, err) != nil {
		fmt.Fprintln(os.Stderr, "urun:", err)
	}
	return code
}

func run(sync *os.File) error {
	var req stage.ContainerRequest
	if err := stage.Request(&req); err != nil {
		return err
	}
	data, err := os.ReadFile(req.Config)
	if err != nil {
		return fmt.Errorf("read container config: %w", err)
	}
	var c config
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("decode container config: %w", err)
	}
	s := c.Spec
	// The filter is read now: after pivot_root the host's run root is
	// out of reach.
	var filter []byte
	if c.Seccomp != "" {
		if filter, err = os.ReadFile(c.Seccomp); err != nil {
			return fmt.Errorf("read the seccomp filter: %w", err)
		}
	}
	// The host placed this process in the container's own cgroup: a
	// cgroup namespace makes it the root that /proc/self/cgroup and the
	// cgroup2 mount at /sys/fs/cgroup show. Per thread; this one is locked
	// and execs the command.
	if c.CgroupNS {
		if err := unix.Unshare(unix.CLONE_NEWCGROUP); err != nil {
			return fmt.Errorf("unshare cgroup namespace: %w", err)
		}
	}
	// Nothing mounted here may reach the host.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	driver, err := rootfs.ForName(c.Rootfs.Driver)
	if err != nil {
		return err
	}
	root := s.Root.Path
	layers := rootfs.Layers{Lower: c.Rootfs.Lower, Dir: c.Rootfs.LinkDir, Upper: c.Rootfs.Upper, Work: c.Rootfs.Work, Volatile: c.Rootfs.Volatile, SquashOwners: c.Rootfs.SquashOwners}
	keepID, err := keepIDUser(s.Annotations)
	if err != nil {
		return err
	}
	if keepID != nil {
		if driver, layers, err = keepIDRootfs(keepID, driver, layers); err != nil {
			return err
		}
	}
	if err := driver.Mount(layers, root); err != nil {
		return fmt.Errorf("assemble rootfs: %w", err)
	}
	if keepID != nil {
		if err := addKeepIDUser(root, keepID); err != nil {
			return err
		}
	}

	trace.Mark("init", "rootfs assembled")
	if err := setUpVolumes(root, c.Volumes, s.Process.User.Username); err != nil {
		return err
	}
	if err := mountAll(root, s.Mounts); err != nil {
		return err
	}
	if err := mountImages(driver, root, c.ImageMounts); err != nil {
		return err
	}
	// Not in the host's UTS namespace (--uts host), which is not the
	// container's to change.
	if ownsUTS(s.Linux.Namespaces) {
		if err := unix.Sethostname([]byte(s.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if s.Domainname != "" {
		if err := unix.Setdomainname([]byte(s.Domainname)); err != nil {
			return fmt.Errorf("set domain name: %w", err)
		}
	}

	trace.Mark("init", "mounts done")
	hookRunner := hooks.New(req.Config, c.ID, root, s.Annotations, s.Hooks)
	if err := hookRunner.BeforePivot(); err != nil {
		return err
	}
	if err := pivotRoot(root); err != nil {
		return err
	}
	if err := bringUpLoopback(); err != nil {
		return err
	}
	if err := setSysctls(s.Linux.Sysctl); err != nil {
		return err
	}
	if err := confineFileSystem(s.Linux.MaskedPaths, s.Linux.ReadonlyPaths, s.Root.Readonly); err != nil {
		return err
	}
	trace.Mark("init", "paths masked")
	proc := s.Process
	return startProcess(sync, process{
		args: proc.Args, env: proc.Env, user: proc.User.Username, cwd: proc.Cwd,
		terminal: proc.Terminal, consoleSize: proc.ConsoleSize,
		stage: "init", makeCwd: true, cwdOwnedByUser: c.CwdOwnedByUser, dieWithParent: true,
		capabilities: proc.Capabilities, noNewPrivileges: proc.NoNewPrivileges,
		seccomp:  filter,
		groupAdd: groupAddOf(s.Annotations), rlimits: proc.Rlimits,
		beforeExec: func() error {
			if c.WaitForHost {
				if err := waitForHost(sync); err != nil {
					return err
				}
			}
			return hookRunner.StartContainer()
		},
	})
}

// resolveUser looks the user up in the container's own /etc/passwd and
// /etc/group; an image without them still runs numeric users.
func resolveUser(spec string) (ExecUser, error) {
	passwd, _ := os.ReadFile("/etc/passwd")
	group, _ := os.ReadFile("/etc/group")
	u, err := ResolveUser(spec, bytes.NewReader(passwd), bytes.NewReader(group))
	if err != nil {
		return u, fmt.Errorf("resolve user %q in the container: %w", spec, err)
	}
	return u, nil
}

// waitForHost tells the host that init has passed every check and waits
// until the host says Go. The host closes the socket instead when it
// could not set the network up, and has said why.
func waitForHost(sync *os.File) error {
	if err := stage.Send(sync, stage.Waiting, ""); err != nil {
		return fmt.Errorf("tell urun the container is ready: %w", err)
	}
	if _, err := stage.Expect(sync, stage.Go); err != nil {
		return errors.New("urun stopped before the container's network was ready")
	}
	trace.Mark("init", "host ready")
	return nil
}
