package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	godbus "github.com/godbus/dbus/v5"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/hostinfo"
	"github.com/urun/urun/idmap"
)

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
	if h.IsRoot && h.Cgroup.Mode != cgroupv2.Unified {
		h.RootV1 = cgroupv2.CheckV1Mounts()
	}

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

// tryUserNS runs urun's probe stage (hostinfo.Probe, as `urun info`
// does) in a new user namespace that maps only the caller's ids, whose
// maps urun writes itself (the kernel's own answer: no newuidmap), and a
// new mount namespace, where it mounts overlay on the store's file
// system. It returns where it tried, the user namespace's failure and
// the mount's.
func (h *Host) tryUserNS() (dir string, userns, overlay error) {
	dir = h.probeDir()
	tmp, err := os.MkdirTemp(dir, "urun-doctor-")
	if err != nil {
		return dir, nil, fmt.Errorf("make a directory to try overlay in: %w", err)
	}
	// Here too, in case the stage was killed before it cleaned up.
	defer os.RemoveAll(tmp)
	info, err := runProbe(h.Self, idmap.Single(h.Caller.UID, h.Caller.GID), tmp)
	switch {
	case err != nil && !info.UserNamespace:
		return dir, oneLine(err), nil
	case err != nil:
		return dir, nil, fmt.Errorf("the trial process failed: %w", err)
	case info.NativeOverlayProblem != "":
		return dir, nil, errors.New(info.NativeOverlayProblem)
	}
	return dir, nil, nil
}

// lineOf is an error's first line, still wrapping it (for its errno).
type lineOf struct {
	line string
	err  error
}

func (e lineOf) Error() string { return e.line }
func (e lineOf) Unwrap() error { return e.err }

// oneLine keeps the first line of err: the stage's hint below it
// (stage.UserNamespaceHint) is what the sysctl and AppArmor checks say,
// with their fixes.
func oneLine(err error) error {
	if line, _, cut := strings.Cut(err.Error(), "\n"); cut {
		return lineOf{line, err}
	}
	return err
}

// tryMapping starts urun's probe stage (as `urun info` does) in a user
// namespace mapped as containers are: newuidmap and newgidmap write the
// subordinate ranges. nil when the stage started and reported.
func tryMapping(cfg *config.Config, self string, m idmap.Mappings) error {
	if err := os.MkdirAll(cfg.RunRoot, 0o700); err != nil {
		return err
	}
	_, err := runProbe(self, m, cfg.RunRoot)
	return err
}

// runProbe is hostinfo.RunProbe within trialTimeout.
func runProbe(self string, m idmap.Mappings, tempDir string) (hostinfo.ProbeInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), trialTimeout)
	defer cancel()
	info, err := hostinfo.RunProbe(ctx, self, m, tempDir)
	if errors.Is(err, context.DeadlineExceeded) {
		// Not known to be the namespace's fault: said as the trial's.
		return hostinfo.ProbeInfo{UserNamespace: true}, fmt.Errorf("no answer in %s", trialTimeout)
	}
	return info, err
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
