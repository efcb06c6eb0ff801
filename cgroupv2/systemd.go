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
	"strconv"
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
		if err := c.Hello(); err != nil {
			c.Close()
			return nil, err
		}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("connect to your systemd user manager at %s: %w", bus, err)
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
		sd.PropSlice("user.slice"),
		sd.PropPids(uint32(pid)),
		{Name: "Delegate", Value: godbus.MakeVariant(true)},
	}
	done := make(chan string, 1)
	if _, err := conn.StartTransientUnitContext(ctx, unit, "fail", props, done); err != nil {
		return nil, &UnavailableError{fmt.Errorf("create the systemd scope %s: %w", unit, err)}
	}
	select {
	case result := <-done:
		if result != "done" {
			return nil, fmt.Errorf("create the systemd scope %s: the job ended %q (see 'journalctl --user -u %s')", unit, result, unit)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("create the systemd scope %s: %w", unit, ctx.Err())
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
