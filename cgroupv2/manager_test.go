package cgroupv2

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTheManagerIsChosenByHostAndRequest(t *testing.T) {
	v2 := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1001.slice/session-1.scope"}
	v2bus := v2
	v2bus.Bus = "unix:path=/run/user/1001/bus"
	inUnit := v2bus
	inUnit.Delegated, inUnit.Writable = true, true
	writableUnit := v2bus
	writableUnit.Writable = true
	hybrid := Host{Mode: Hybrid}
	for _, c := range []struct {
		name string
		req  Request
		host Host
		want string
	}{
		{"hybrid host, no limits: nothing to do", Request{}, hybrid, ManagerNone},
		{"v1 host, no limits", Request{}, Host{Mode: Legacy}, ManagerNone},
		{"v2 with the user's systemd: a scope", Request{Limits: true}, v2bus, ManagerSystemd},
		{"v2 without limits gets a scope too", Request{}, v2bus, ManagerSystemd},
		{"in a delegated unit: children of it", Request{Limits: true}, inUnit, ManagerCgroupfs},
		{"systemd asked for in a delegated unit", Request{Manager: ManagerSystemd}, inUnit, ManagerSystemd},
		{"a writable unit not marked delegated: a scope", Request{}, writableUnit, ManagerSystemd},
		{"cgroupfs asked for in a writable unit", Request{Manager: ManagerCgroupfs}, writableUnit, ManagerCgroupfs},
		{"v2, neither bus nor delegation, no limits", Request{}, v2, ManagerNone},
		{"--cgroups=disabled", Request{Disabled: true}, v2bus, ManagerNone},
		{"--cgroup-manager none on a hybrid host", Request{Manager: ManagerNone}, hybrid, ManagerNone},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Choose(c.req, c.host)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

func TestALimitThatCannotBeHadIsAnErrorThatSaysWhy(t *testing.T) {
	v2 := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1001.slice/session-1.scope"}
	for _, c := range []struct {
		name string
		req  Request
		host Host
		msg  string
	}{
		{"limit on a hybrid host", Request{Limits: true}, Host{Mode: Hybrid}, "rootless limits need cgroup v2 with a delegated subtree or a systemd user manager"},
		{"limit on a v1 host", Request{Limits: true}, Host{Mode: Legacy}, "this host has cgroup v1"},
		{"a manager on a hybrid host", Request{Manager: ManagerSystemd}, Host{Mode: Hybrid}, "--cgroup-manager systemd: this host has hybrid"},
		{"limit with cgroups disabled", Request{Limits: true, Disabled: true}, v2, "drop --cgroups=disabled"},
		{"limit with no manager", Request{Limits: true, Manager: ManagerNone}, v2, "drop --cgroups=disabled / --cgroup-manager none"},
		{"systemd without a bus", Request{Manager: ManagerSystemd}, v2, "no systemd user manager is reachable"},
		{"cgroupfs without delegation", Request{Manager: ManagerCgroupfs}, v2, "is not delegated to you"},
		{"limit with neither", Request{Limits: true}, v2, "its own cgroup is not delegated and no systemd user manager is reachable"},
		{"unknown manager", Request{Manager: "cgmanager"}, v2, "want systemd, cgroupfs or none"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Choose(c.req, c.host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestUserBusIsTheSessionAddressOrTheRuntimeDirsSocket(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/x/bus")
	assert.Equal(t, "unix:path=/x/bus", userBus())
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	assert.Equal(t, "", userBus(), "no socket there")
	dir := t.TempDir()
	l, err := net.Listen("unix", filepath.Join(dir, "bus"))
	require.NoError(t, err)
	defer l.Close()
	t.Setenv("XDG_RUNTIME_DIR", dir)
	assert.Equal(t, "unix:path="+filepath.Join(dir, "bus"), userBus())
	t.Setenv("XDG_RUNTIME_DIR", "")
	assert.Equal(t, "", userBus())
}

func TestOnlyADelegatedCgroupIsUrunsToDivide(t *testing.T) {
	job := fakeCgroup(t, "cpu memory pids", "", "")
	assert.True(t, delegated(job), "a writable cgroup outside systemd (a Slurm job)")
	unit := filepath.Join(t.TempDir(), "app.service")
	require.NoError(t, os.Mkdir(unit, 0o755))
	for _, f := range []string{"cgroup.procs", "cgroup.subtree_control"} {
		require.NoError(t, os.WriteFile(filepath.Join(unit, f), nil, 0o644))
	}
	assert.False(t, delegated(unit), "a user unit without Delegate=yes is systemd's, though the user may write it")
	if err := unix.Setxattr(unit, "user.delegate", []byte("1"), 0); err == nil {
		assert.True(t, delegated(unit), "a unit with Delegate=yes (user.delegate=1)")
	} else {
		t.Logf("this file system takes no user xattrs (%v): the marked unit is not tried", err)
	}
	assert.False(t, delegated(filepath.Join(t.TempDir(), "missing")))
}
