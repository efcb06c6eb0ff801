package cgroupv2

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Root on a cgroup v2 host makes its containers' cgroups itself.

func TestRootOnCgroupV2GetsCgroupsOfItsOwnBelowTheRoot(t *testing.T) {
	session := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope", AsRoot: true, RootWritable: true, Writable: true,
		Bus: systemPrivate}
	noBus := session
	noBus.Bus = ""
	delegatedUnit := session
	delegatedUnit.OwnDir, delegatedUnit.Delegated = "/sys/fs/cgroup/system.slice/job.service", true
	inContainer := session
	inContainer.OwnDir, inContainer.Delegated = Root, true
	slurmJob := session
	slurmJob.OwnDir, slurmJob.SlurmJob = "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_7/step_0/user/task_0", "7"
	slurmDelegated := slurmJob
	slurmDelegated.Delegated = true
	for _, c := range []struct {
		name    string
		req     Request
		host    Host
		want    string
		wantDir string
	}{
		{"root runs a container", Request{}, session, ManagerCgroupfs, "/sys/fs/cgroup/urun"},
		{"root runs one with --memory", Request{Limits: true}, session, ManagerCgroupfs, "/sys/fs/cgroup/urun"},
		{"root runs one with --memory and no bus", Request{Limits: true}, noBus, ManagerCgroupfs, "/sys/fs/cgroup/urun"},
		{"root asks for --cgroup-manager cgroupfs", Request{Manager: ManagerCgroupfs, Limits: true}, noBus, ManagerCgroupfs, "/sys/fs/cgroup/urun"},
		{"root asks for --cgroup-manager none", Request{Manager: ManagerNone}, session, ManagerNone, ""},
		{"root runs with --cgroups=disabled", Request{Disabled: true}, session, ManagerNone, ""},
		{"root asks for --cgroup-manager systemd: a scope in machine.slice", Request{Manager: ManagerSystemd, Limits: true}, session, ManagerSystemd, "machine.slice"},
		{"root gives --cgroup-parent a slice: a scope of the system's manager there", Request{Parent: "batch.slice", Limits: true}, session, ManagerSystemd, "batch.slice"},
		{"root in a unit with Delegate=yes keeps its containers in it", Request{Limits: true}, delegatedUnit, ManagerCgroupfs, delegatedUnit.OwnDir},
		{"root in a container's cgroup namespace uses the parent", Request{Limits: true}, inContainer, ManagerCgroupfs, "/sys/fs/cgroup/urun"},
		{"root in a Slurm job keeps its containers in the job", Request{}, slurmDelegated, ManagerCgroupfs, slurmJob.OwnDir},
		{"root in a Slurm job's cgroup not delegated: it stays there", Request{}, slurmJob, ManagerNone, ""},
		{"root gives --cgroup-parent /batch", Request{Parent: "/batch", Limits: true}, session, ManagerCgroupfs, "/sys/fs/cgroup/batch"},
		{"root gives --cgroup-parent /system.slice/x, a systemd cgroup", Request{Parent: "/system.slice/x"}, noBus, ManagerCgroupfs, "/sys/fs/cgroup/system.slice/x"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Choose(c.req, c.host)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			m := NewIn(got, c.host, c.req.Parent)
			if c.wantDir == "" {
				assert.Nil(t, m)
				return
			}
			if sm, ok := m.(*systemdManager); ok {
				assert.Equal(t, c.wantDir, sm.sliceName())
				assert.Equal(t, systemPrivate, sm.bus)
				return
			}
			require.IsType(t, &cgroupfsManager{}, m)
			assert.Equal(t, c.wantDir, m.(*cgroupfsManager).dir)
		})
	}
}

func TestRootIsToldWhatItCannotHave(t *testing.T) {
	// No systemd: a container's init, a host booted without it.
	root := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope", AsRoot: true, RootWritable: true, Writable: true}
	inUnit := root
	inUnit.OwnDir, inUnit.Delegated = "/sys/fs/cgroup/system.slice/job.service", true
	for _, c := range []struct {
		name string
		req  Request
		host Host
		msg  string
	}{
		{"--cgroup-manager systemd without systemd", Request{Manager: ManagerSystemd}, root, "the system's systemd manager is not reachable (no socket /run/systemd/private: systemd is not this host's init): drop the flag, and urun run by root makes containers' cgroups itself (cgroupfs, under /sys/fs/cgroup/urun"},
		{"--cgroup-manager systemd without systemd, in a delegated unit", Request{Manager: ManagerSystemd}, inUnit, "the system's systemd manager is not reachable"},
		{"--cgroup-parent a slice without systemd", Request{Parent: "app.slice"}, root, "give a cgroup path instead, such as /app"},
		{"a limit with --cgroups=disabled", Request{Limits: true, Disabled: true}, root, "drop --cgroups=disabled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Choose(c.req, c.host)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			assert.NotContains(t, err.Error(), "delegated to you")
			assert.NotContains(t, err.Error(), "rootless")
		})
	}
}

func TestRootOfAUserNamespaceIsRootlessForCgroups(t *testing.T) {
	// /sys/fs/cgroup belongs to the host's root: urun is as any user.
	h := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1001.slice/session-1.scope", AsRoot: true}
	_, err := Choose(Request{Limits: true}, h)
	assert.ErrorContains(t, err, "its own cgroup is not delegated")
	h.Bus = "unix:path=/run/user/1001/bus"
	got, err := Choose(Request{Limits: true}, h)
	require.NoError(t, err)
	assert.Equal(t, ManagerSystemd, got)
}

func TestRootEnablesTheControllersFromTheTopDown(t *testing.T) {
	// A fake hierarchy: top, and top/urun made by an earlier run whose
	// limits needed no cpuset.
	top := fakeCgroup(t, "cpuset memory pids", "memory pids", "")
	parent := filepath.Join(top, "urun")
	require.NoError(t, makeParents(parent, "", map[string]string{"memory.max": "1"}))
	writeFiles(t, parent, map[string]string{"cgroup.controllers": "memory pids", "cgroup.subtree_control": "", "cgroup.procs": ""})
	cpuset := map[string]string{"cpuset.cpus": "0"}

	require.NoError(t, makeParents(parent, "", cpuset))
	assert.Equal(t, "memory pids", read(t, filepath.Join(top, "cgroup.subtree_control")), "a user enables nothing above what it makes")
	require.NoError(t, makeParents(parent, top, cpuset))
	assert.Equal(t, "+cpuset", read(t, filepath.Join(top, "cgroup.subtree_control")), "root enables cpuset in the existing top for the existing parent")
}

func TestInfoSaysWhereContainersCgroupsGo(t *testing.T) {
	user := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1001.slice/session-1.scope"}
	withBus := user
	withBus.Bus = "unix:path=/run/user/1001/bus"
	root := Host{Mode: Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-0.slice/session-1.scope", AsRoot: true, RootWritable: true, Writable: true}
	for _, c := range []struct {
		name, manager, where string
		host                 Host
	}{
		{"root", ManagerCgroupfs, "urun run by root makes each container's cgroup itself, under /sys/fs/cgroup/urun", root},
		{"a user with a systemd manager", ManagerSystemd, "a delegated scope from your systemd user manager", withBus},
		{"a user with neither", ManagerNone, "containers get no cgroup of their own", user},
	} {
		t.Run(c.name, func(t *testing.T) {
			manager, where := DefaultPlace(c.host)
			assert.Equal(t, c.manager, manager)
			assert.Contains(t, where, c.where)
		})
	}
}

func TestRootsContainerGetsItsCgroupInTheUrunParent(t *testing.T) {
	// A fake hierarchy's root, whose memory controller is not enabled for
	// its children yet, and the urun parent an earlier run made (which
	// the kernel would give memory once it is enabled above).
	top := fakeCgroup(t, "cpu io memory pids", "cpu io pids", "")
	parent := filepath.Join(top, RootParent)
	require.NoError(t, os.Mkdir(parent, 0o755))
	writeFiles(t, parent, map[string]string{"cgroup.controllers": "cpu io memory pids", "cgroup.subtree_control": "", "cgroup.procs": ""})
	m := &cgroupfsManager{dir: parent, makeDir: true, top: top}

	cg, err := m.Place("abc", 0, map[string]string{"memory.max": "67108864"})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(parent, "urun-abc"), cg.Dir)
	assert.Equal(t, "67108864", read(t, filepath.Join(cg.Dir, "memory.max")))
	assert.Equal(t, "+memory", read(t, filepath.Join(top, "cgroup.subtree_control")), "memory enabled at the top for the parent")
	assert.Equal(t, "+cpu +io +memory +pids", read(t, filepath.Join(parent, "cgroup.subtree_control")), "and in the parent for the container")
	_, err = os.Stat(filepath.Join(top, leafName))
	assert.True(t, os.IsNotExist(err), "nothing moved at the top")
}
