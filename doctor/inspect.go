package doctor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	godbus "github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/hostinfo"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/stage"
)

// ProbeArg is the hidden argument of `urun doctor` that makes it the
// trial process: `urun doctor ProbeArg DIR` in a new user and mount
// namespace mounts overlay in DIR and prints what happened (ProbeMain).
const ProbeArg = "--userns-probe"

// trialTimeout bounds each trial: a hung helper or bus must not hang the
// doctor.
const trialTimeout = 3 * time.Second

// Inspect fills a Host from this machine: cfg (nil with cfgErr when the
// configuration could not be read) and its path, self (urun's binary,
// which the trials run). The trials run side by side.
func Inspect(cfg *config.Config, cfgErr error, cfgPath, self string) *Host {
	h := &Host{
		Config: cfg, ConfigErr: cfgErr, ConfigPath: cfgPath, Self: self, LocalStore: config.LocalStoreDir(),
		IsRoot:   os.Geteuid() == 0,
		Getenv:   os.Getenv,
		LookPath: exec.LookPath,
		Statfs:   unix.Statfs,
		Owner: func(path string) (uint32, uint32, error) {
			var st unix.Stat_t
			if err := unix.Stat(path, &st); err != nil {
				return 0, 0, err
			}
			return st.Mode, st.Uid, nil
		},
		Xattr: func(path, name string) ([]byte, error) {
			buf := make([]byte, 64)
			n, err := unix.Getxattr(path, name, buf)
			if err != nil {
				return nil, err
			}
			return buf[:n], nil
		},
		OpenRW: func(path string) error {
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				return errors.Unwrap(err) // the errno: the path is in the message already
			}
			return f.Close()
		},
	}
	h.Caller, _ = idmap.CurrentCaller()
	h.Cgroup, h.CgroupErr = cgroupv2.DetectHost()

	var wg sync.WaitGroup
	if !h.IsRoot {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.Trials.UserNSTried = true
			h.Trials.OverlayDir, h.Trials.UserNS, h.Trials.Overlay = h.tryUserNS()
		}()
		if uids, gids, err := h.subIDs(); err == nil && len(uids) > 0 && len(gids) > 0 && cfg != nil {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.Trials.MappingTried = true
				h.Trials.Mapping = tryMapping(cfg, self, idmap.Build(h.Caller.UID, h.Caller.GID, uids, gids))
			}()
		}
		if h.hasSystemd() && h.Cgroup.Bus != "" {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.Trials.SystemdTried = true
				h.Trials.SystemdVersion, h.Trials.SystemdBus = askSystemd(h.Cgroup.Bus)
			}()
		}
	}
	wg.Wait()
	return h
}

// probeDir is where the overlay trial mounts: in the store, whose file
// system holds containers' upper directories, else in the run root.
func (h *Host) probeDir() string {
	if h.Config == nil {
		return os.TempDir()
	}
	if st, err := os.Stat(h.Config.GraphRoot); err == nil && st.IsDir() {
		return h.Config.GraphRoot
	}
	return h.Config.RunRoot
}

// probeReport is what the trial process prints.
type probeReport struct {
	Overlay string `json:"overlay,omitempty"`
}

// tryUserNS starts urun as the trial process in a new user namespace
// that maps only the caller's ids (the kernel's own answer: no newuidmap)
// and a new mount namespace, where it mounts overlay. It returns where it
// tried, the user namespace's failure and the mount's.
func (h *Host) tryUserNS() (dir string, userns, overlay error) {
	dir = h.probeDir()
	tmp, err := os.MkdirTemp(dir, "urun-doctor-")
	if err != nil {
		return dir, nil, fmt.Errorf("make a directory to try overlay in: %w", err)
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), trialTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Self, "doctor", ProbeArg, tmp)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER | unix.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(h.Caller.UID), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(h.Caller.GID), Size: 1}},
		// An unprivileged map of one's own gid needs setgroups denied.
		GidMappingsEnableSetgroups: false,
	}
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		return dir, nil, fmt.Errorf("the trial process failed: %v: %s", err, bytes.TrimSpace(exitErr.Stderr))
	case err != nil:
		return dir, unwrapStart(err), nil
	}
	var rep probeReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return dir, nil, fmt.Errorf("the trial process printed %q: %w", out, err)
	}
	if rep.Overlay != "" {
		return dir, nil, errors.New(rep.Overlay)
	}
	return dir, nil, nil
}

// unwrapStart is the errno of a failed clone, which says why.
func unwrapStart(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return fmt.Errorf("clone(CLONE_NEWUSER): %w", errno)
	}
	return err
}

// ProbeMain is the trial process: in its new user and mount namespaces
// it mounts overlay as urun's native driver does (userxattr) in dir.
func ProbeMain(dir string) int {
	var rep probeReport
	for _, d := range []string{"lower", "upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			rep.Overlay = err.Error()
		}
	}
	if rep.Overlay == "" {
		opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") +
			",workdir=" + filepath.Join(dir, "work") + ",userxattr"
		if err := unix.Mount("overlay", filepath.Join(dir, "merged"), "overlay", 0, opts); err != nil {
			rep.Overlay = "mount overlay with userxattr: " + err.Error()
		} else {
			unix.Unmount(filepath.Join(dir, "merged"), unix.MNT_DETACH)
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 1
	}
	return 0
}

// mappingProbe is what hostinfo's probe stage reads as its request.
type mappingProbe struct {
	TempDir string `json:"temp_dir"`
}

// tryMapping starts urun's probe stage (as `urun info` does) in a user
// namespace mapped as containers are: newuidmap and newgidmap write the
// subordinate ranges. nil when the stage started and reported.
func tryMapping(cfg *config.Config, self string, m idmap.Mappings) error {
	if err := os.MkdirAll(cfg.RunRoot, 0o700); err != nil {
		return err
	}
	done := make(chan error, 1)
	cmd := stage.CommandOf(self, stage.Probe)
	go func() {
		p, err := stage.Run(cmd, stage.Create{Mappings: m, Unshare: unix.CLONE_NEWNS}, mappingProbe{TempDir: cfg.RunRoot})
		if err != nil {
			done <- err
			return
		}
		var info hostinfo.ProbeInfo
		err = stage.ReceiveReport(p.Socket, &info)
		p.Socket.Close()
		cmd.Wait()
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(trialTimeout):
		if cmd.Process != nil {
			cmd.Process.Kill()
		}
		return fmt.Errorf("no answer in %s", trialTimeout)
	}
}

// askSystemd asks the user's systemd manager at bus for its version.
func askSystemd(bus string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), trialTimeout)
	defer cancel()
	conn, err := godbus.Dial(bus, godbus.WithContext(ctx))
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.Auth([]godbus.Auth{godbus.AuthExternal(strconv.Itoa(os.Getuid()))}); err != nil {
		return "", err
	}
	if err := conn.Hello(); err != nil {
		return "", err
	}
	var v godbus.Variant
	err = conn.Object("org.freedesktop.systemd1", "/org/freedesktop/systemd1").
		CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.systemd1.Manager", "Version").Store(&v)
	if err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}
