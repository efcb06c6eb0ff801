package test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Docker's --ipc, --pid and --uts container:NAME: a container shares the
// namespace of another, running container (issue 17).
func TestRunSharesAnotherContainersNamespaces(t *testing.T) {
	e := containerEnv(t)
	// Registered first, run last: after the containers that join it.
	t.Cleanup(func() { e.urun(t, "rm", "-f", "donor") })
	t.Cleanup(func() { e.urun(t, "rm", "-f", "guest", "again") })
	e.urun(t, "run", "-d", "--name", "donor", "--ipc", "shareable", "-h", "alpha", busyboxRef,
		"sh", "-c", "echo hi > /dev/shm/mark; exec sleep 600").ok(t)
	require.Eventually(t, func() bool {
		return e.urun(t, "exec", "donor", "cat", "/dev/shm/mark").stdout == "hi\n"
	}, 10*time.Second, 100*time.Millisecond, "the donor wrote its /dev/shm file")
	donorIPC := e.urun(t, "exec", "donor", "readlink", "/proc/self/ns/ipc").ok(t)
	donorPID := e.urun(t, "exec", "donor", "readlink", "/proc/self/ns/pid").ok(t)
	tests := []struct {
		name   string
		flags  []string
		script string
		want   string
	}{
		{"ipc sees its /dev/shm", []string{"--ipc", "container:donor"}, "cat /dev/shm/mark", "hi\n"},
		{"ipc is its namespace", []string{"--ipc", "container:donor"}, "readlink /proc/self/ns/ipc", donorIPC},
		{"uts has its host name", []string{"--uts", "container:donor"}, "hostname; cat /etc/hostname", "alpha\nalpha\n"},
		{"pid is its namespace", []string{"--pid", "container:donor"}, "readlink /proc/self/ns/pid", donorPID},
		{"pid sees its processes in ps", []string{"--pid", "container:donor"}, "ps -o args | grep -c '^sleep 600'", "1\n"},
		{"all three and its network", []string{"--ipc", "container:donor", "--pid", "container:donor", "--uts", "container:donor", "--network", "container:donor"},
			"cat /dev/shm/mark; hostname", "hi\nalpha\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "sh", "-c", tt.script)
			assert.Equal(t, tt.want, e.urun(t, args...).ok(t))
		})
	}

	t.Run("the donor sees what the container writes to /dev/shm", func(t *testing.T) {
		e.urun(t, "run", "--rm", "--ipc", "container:donor", busyboxRef, "sh", "-c", "echo back > /dev/shm/back").ok(t)
		assert.Equal(t, "back\n", e.urun(t, "exec", "donor", "cat", "/dev/shm/back").ok(t))
	})
	t.Run("the donor sees the container's processes", func(t *testing.T) {
		e.urun(t, "run", "-d", "--name", "guest", "--pid", "container:donor", busyboxRef, "sleep", "601").ok(t)
		require.Eventually(t, func() bool {
			return strings.Contains(e.urun(t, "exec", "donor", "ps", "-o", "args").stdout, "sleep 601")
		}, 10*time.Second, 100*time.Millisecond)
		assert.Equal(t, "in\n", e.urun(t, "exec", "guest", "echo", "in").ok(t), "exec into the container")
		e.urun(t, "rm", "-f", "guest").ok(t)
		assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", "601"), "its process ended with it")
	})
	t.Run("what its command leaves ends with it", func(t *testing.T) {
		assert.Equal(t, "bg\n", e.urun(t, "run", "--rm", "--pid", "container:donor", busyboxRef, "sh", "-c", "sleep 174 & echo bg").ok(t))
		assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", "174"), "the donor did not inherit it")
		assert.Contains(t, e.urun(t, "exec", "donor", "ps", "-o", "args").stdout, "sleep 600", "the donor runs on")
	})
	t.Run("start joins the donor again, recorded by id", func(t *testing.T) {
		e.urun(t, "create", "--name", "again", "--uts", "container:donor", busyboxRef, "hostname").ok(t)
		id := strings.TrimSpace(e.urun(t, "inspect", "--format", "{{.Id}}", "donor").ok(t))
		assert.Equal(t, "container:"+id+"\n", e.urun(t, "inspect", "--format", "{{.HostConfig.UTSMode}}", "again").ok(t))
		assert.Equal(t, "alpha\n", e.urun(t, "start", "-a", "again").ok(t))
	})
}

// A container run in the foreground with --rm shares its IPC namespace
// as a detached one does.
func TestRunSharesTheIPCOfAForegroundContainer(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "run", "--rm", "--name", "front", "--ipc", "shareable", busyboxRef,
		"sh", "-c", "echo front > /dev/shm/mark; exec sleep 603")
	require.NoError(t, cmd.Start())
	defer func() {
		e.urun(t, "rm", "-f", "front")
		cmd.Wait()
	}()
	require.Eventually(t, func() bool {
		return e.urun(t, "exec", "front", "cat", "/dev/shm/mark").stdout == "front\n"
	}, 10*time.Second, 100*time.Millisecond)
	assert.Equal(t, "front\n", e.urun(t, "run", "--rm", "--ipc", "container:front", busyboxRef, "cat", "/dev/shm/mark").ok(t))
}

// The containers whose namespaces cannot be shared are refused with 125
// and the reason, before anything runs.
func TestRunRefusesNamespacesItCannotShare(t *testing.T) {
	e := containerEnv(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "private", "other", "stopped", "hostpid", "hostipc") })
	e.urun(t, "run", "-d", "--name", "private", busyboxRef, "sleep", "600").ok(t)
	e.urun(t, "run", "-d", "--name", "other", "--ipc", "shareable", busyboxRef, "sleep", "600").ok(t)
	e.urun(t, "create", "--name", "stopped", "--ipc", "shareable", busyboxRef, "true").ok(t)
	e.urun(t, "run", "-d", "--name", "hostpid", "--pid", "host", busyboxRef, "sleep", "600").ok(t)
	e.urun(t, "run", "-d", "--name", "hostipc", "--ipc", "host", busyboxRef, "sleep", "600").ok(t)
	tests := []struct {
		name    string
		flags   []string
		wantErr string
	}{
		{"a stopped container", []string{"--uts", "container:stopped"}, "container stopped is not running"},
		{"a stopped container's ipc", []string{"--ipc", "container:stopped"}, "container stopped is not running"},
		{"a container that does not exist", []string{"--pid", "container:nosuch"}, "No such container"},
		{"the ipc of a container without --ipc shareable", []string{"--ipc", "container:private"}, "non-shareable"},
		{"two containers", []string{"--network", "container:private", "--pid", "container:other"}, "name different containers"},
		{"a hostname with the uts of another", []string{"--uts", "container:other", "-h", "x"}, "that container's"},
		{"urun's networks", []string{"--pid", "container:other", "--network", "bridge"}, "--network container:other"},
		{"the host's pid namespace of another", []string{"--pid", "container:hostpid"}, "give --pid host"},
		{"the host's ipc namespace of another", []string{"--ipc", "container:hostipc"}, "give --ipc host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "true")
			res := e.urun(t, args...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, tt.wantErr)
		})
	}
}
