package cgroupv2

// The D-Bus client modules: github.com/coreos/go-systemd/v22/dbus speaks
// systemd's manager API (StartTransientUnit, job results) over
// github.com/godbus/dbus/v5, a pure Go D-Bus client. Both are what podman
// and runc use for the same calls; writing the D-Bus wire protocol and
// systemd's property types here would be more code to get wrong. They are
// linked into urun, but a connection is made only for the systemd manager.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	sd "github.com/coreos/go-systemd/v22/dbus"
	godbus "github.com/godbus/dbus/v5"
)

// busTimeout bounds every talk with the user's manager.
const busTimeout = 30 * time.Second

// systemdManager asks the user's systemd manager for a transient scope
// with Delegate=yes holding the container, then does the cgroupfs work in
// that delegated scope: the limits go into a child cgroup of it, since a
// scope with enabled controllers may hold no process itself.
type systemdManager struct {
	bus string
	// slice is --cgroup-parent's, "" for user.slice.
	slice string
}

// sliceName is the slice the containers' scopes go in: user.slice of the
// user's manager, machine.slice of the system's (where podman and
// systemd-nspawn put root's containers).
func (m *systemdManager) sliceName() string {
	switch {
	case m.slice != "":
		return m.slice
	case m.bus == systemPrivate:
		return "machine.slice"
	}
	return "user.slice"
}

// systemPrivate is the system manager's own socket, which systemctl
// uses as root: systemd listens there itself, so it needs no D-Bus daemon
// and takes no Hello.
const systemPrivate = "unix:path=/run/systemd/private"

// systemBus is the address root reaches the system's systemd manager at,
// "" where systemd is not the host's init.
func systemBus() string {
	if st, err := os.Stat(strings.TrimPrefix(systemPrivate, "unix:path=")); err != nil || st.Mode().Type() != os.ModeSocket {
		return ""
	}
	return systemPrivate
}

// managerName names the manager at bus in messages.
func managerName(bus string) string {
	if bus == systemPrivate {
		return "the system's systemd manager"
	}
	return "your systemd user manager"
}

// journalFlags select the manager's journal for journalctl: the user's,
// but for root.
func journalFlags() string {
	if os.Geteuid() == 0 {
		return ""
	}
	return "--user "
}

func connect(ctx context.Context, bus string) (*sd.Conn, error) {
	conn, err := sd.NewConnection(func() (*godbus.Conn, error) {
		c, err := godbus.Dial(bus, godbus.WithContext(ctx))
		if err != nil {
			return nil, err
		}
		uid := strconv.Itoa(os.Getuid())
		if err := c.Auth([]godbus.Auth{godbus.AuthExternal(uid)}); err != nil {
			c.Close()
			return nil, err
		}
		if bus != systemPrivate {
			if err := c.Hello(); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("connect to %s at %s: %w", managerName(bus), bus, err)
	}
	return conn, nil
}

// ScopeName is the transient scope of container id.
func ScopeName(id string) string { return "urun-" + id + ".scope" }

func (m *systemdManager) Place(id string, pid int, files map[string]string) (*Cgroup, error) {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	conn, err := connect(ctx, m.bus)
	if err != nil {
		return nil, &UnavailableError{err}
	}
	defer conn.Close()
	unit := ScopeName(id)
	props := []sd.Property{
		sd.PropDescription("urun container " + id),
		sd.PropSlice(m.sliceName()),
		sd.PropPids(uint32(pid)),
		{Name: "Delegate", Value: godbus.MakeVariant(true)},
	}
	if err := startScope(ctx, conn, unit, props); err != nil {
		return nil, err
	}
	cg := &Cgroup{Unit: unit, Bus: m.bus}
	path, err := ProcessCgroup(pid)
	if err != nil {
		stopScope(m.bus, unit, "")
		return nil, err
	}
	scope := filepath.Join(Root, path)
	if filepath.Base(scope) != unit {
		stopScope(m.bus, unit, scope)
		return nil, fmt.Errorf("create the systemd scope %s: the container is in %s instead", unit, path)
	}
	dir, err := makeChild(scope, "container", leafName, pid, files)
	cg.Dir = dir
	if err != nil {
		// Closed, scope and all, once the caller ended the container.
		return cg, err
	}
	cg.watch = watchOOM(dir)
	return cg, nil
}

// startScope starts the transient scope. It asks for OOMPolicy=continue,
// so that the kernel's OOM killer ends the process over the limit, as
// with Docker, not the whole container: systemd 253 and later do that for
// a delegated scope anyway, and older ones refuse the property, and then
// stop the scope on an OOM kill in it (systemd issue 25376). Such a
// stopped scope stays "failed" under its name, which the container's next
// start needs: it is reset first. One still active under that name is
// what a killed urun left (the caller holds the container's lock, so none
// runs it now): it is stopped.
func startScope(ctx context.Context, conn *sd.Conn, unit string, props []sd.Property) error {
	oomContinue, reset := true, false
	for attempt := 0; ; attempt++ {
		p := props
		if oomContinue {
			p = append(slices.Clip(props), sd.Property{Name: "OOMPolicy", Value: godbus.MakeVariant("continue")})
		}
		done := make(chan string, 1)
		_, err := conn.StartTransientUnitContext(ctx, unit, "fail", p, done)
		var dbusErr godbus.Error
		switch {
		case err == nil:
			select {
			case result := <-done:
				if result != "done" {
					return fmt.Errorf("create the systemd scope %s: the job ended %q (see 'journalctl %s-u %s')", unit, result, journalFlags(), unit)
				}
				return nil
			case <-ctx.Done():
				return fmt.Errorf("create the systemd scope %s: %w", unit, ctx.Err())
			}
		case attempt < 3 && oomContinue && errors.As(err, &dbusErr) && strings.Contains(dbusErr.Error(), "OOMPolicy"):
			oomContinue = false
		case attempt < 3 && errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.systemd1.UnitExists":
			if !reset {
				conn.ResetFailedUnitContext(ctx, unit)
				reset = true
				continue
			}
			stopped := make(chan string, 1)
			if _, err := conn.StopUnitContext(ctx, unit, "replace", stopped); err == nil {
				select {
				case <-stopped:
				case <-ctx.Done():
				}
			}
			conn.ResetFailedUnitContext(ctx, unit)
		default:
			return &UnavailableError{fmt.Errorf("create the systemd scope %s: %w", unit, err)}
		}
	}
}

// resetFailed forgets a scope that ended "failed" (an OOM kill on a
// systemd without OOMPolicy for scopes), so that it is not left listed
// in 'systemctl --user --failed'.
func resetFailed(bus, unit string) {
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	conn, err := connect(ctx, bus)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.ResetFailedUnitContext(ctx, unit)
}

// stopScope makes sure the scope is gone: systemd stops an empty scope by
// itself, but only once it noticed; if its cgroup is still there, urun
// stops it.
func stopScope(bus, unit, scope string) error {
	if scope != "" {
		if _, err := os.Stat(scope); errors.Is(err, os.ErrNotExist) {
			return nil
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	conn, err := connect(ctx, bus)
	if err != nil {
		return err
	}
	defer conn.Close()
	done := make(chan string, 1)
	if _, err := conn.StopUnitContext(ctx, unit, "replace", done); err != nil {
		var dbusErr godbus.Error
		if errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.systemd1.NoSuchUnit" {
			return nil
		}
		return fmt.Errorf("stop the systemd scope %s: %w", unit, err)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop the systemd scope %s: %w", unit, ctx.Err())
	}
}

// UnitJoin moves a process into a container's cgroup through the user's
// systemd manager, for where urun may not move it itself: from a login
// session's scope into a cgroup under user@.service, the only common
// ancestor is root's. The manager may (it asks the system manager when
// it must), since the unit has Delegate=yes.
//
// For root's container on a cgroup v1 host (v1.go) it moves the process
// itself, into each of the container's v1 directories: v1 has no
// CLONE_INTO_CGROUP, and no systemd is involved.
type UnitJoin struct {
	bus, unit, sub string
	v1Dirs         []string
}

// SystemdJoin is how to put a process into a container's own cgroup
// (path, "/user.slice/...") through systemd: the nearest systemd unit
// above it (urun's scope, or the unit urun ran in) and the path below
// that. nil when the container has no cgroup, it is in no unit or no user
// manager is reachable.
func SystemdJoin(path string) *UnitJoin {
	if path == "" {
		return nil
	}
	if dirs := v1JoinDirs(Dir(path)); dirs != nil {
		return &UnitJoin{v1Dirs: dirs}
	}
	unit, sub, ok := unitOf(path)
	bus := userBus()
	if !ok || bus == "" {
		return nil
	}
	return &UnitJoin{bus: bus, unit: unit, sub: sub}
}

// unitOf splits a cgroup path into its nearest unit and the path below:
// "/user.slice/.../urun-x.scope/container" → "urun-x.scope", "/container".
// A slice holds units, never a container itself.
func unitOf(path string) (unit, sub string, ok bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if strings.HasSuffix(parts[i], ".scope") || strings.HasSuffix(parts[i], ".service") {
			if i == len(parts)-1 {
				return parts[i], "", true
			}
			return parts[i], "/" + strings.Join(parts[i+1:], "/"), true
		}
	}
	return "", "", false
}

// Attach moves pid, which must not run anything of the user's yet, into
// the container's cgroup.
func (j *UnitJoin) Attach(pid int) error {
	if j.v1Dirs != nil {
		return attachV1(j.v1Dirs, pid)
	}
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	conn, err := connect(ctx, j.bus)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.AttachProcessesToUnit(ctx, j.unit, j.sub, []uint32{uint32(pid)}); err != nil {
		return fmt.Errorf("ask systemd to move process %d into %s%s: %w", pid, j.unit, j.sub, err)
	}
	return nil
}

// MoveToOwnScope puts pids in a transient scope of their own under
// user.slice, when the user's systemd manager is reachable: processes
// that outlive the command that started them (the network holder and its
// uplink) must not live in that command's unit, whose stop would kill
// them. Without a manager there is no unit to leave, and it does nothing.
func MoveToOwnScope(unit, description string, pids ...int) error {
	bus := userBus()
	if bus == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), busTimeout)
	defer cancel()
	conn, err := connect(ctx, bus)
	if err != nil {
		return nil
	}
	defer conn.Close()
	var ids []uint32
	for _, p := range pids {
		ids = append(ids, uint32(p))
	}
	props := []sd.Property{sd.PropDescription(description), sd.PropSlice("user.slice"), sd.PropPids(ids...)}
	return startScope(ctx, conn, unit, props)
}
