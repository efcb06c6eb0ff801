package test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// Docker's run flags for limits, sysctls, groups and namespaces, and the
// differences from Docker that scripts written for it ran into (issue 17).
// Each case runs `urun run --rm FLAGS busybox sh -c SCRIPT` and compares
// the output as Docker documents it.
func TestRunFlagsAsDocker(t *testing.T) {
	e := containerEnv(t)
	hostName, err := os.Hostname()
	require.NoError(t, err)
	var ownLimit unix.Rlimit
	require.NoError(t, unix.Getrlimit(unix.RLIMIT_NOFILE, &ownLimit))
	hard := ownLimit.Max
	if hard > 4096 {
		hard = 4096
	}
	cwd := mkTemp(t)
	require.NoError(t, os.WriteFile(filepath.Join(cwd, "mark"), []byte("here\n"), 0o644))
	hosts := filepath.Join(e.dir, "hosts")
	require.NoError(t, os.WriteFile(hosts, []byte("10.9.8.7 mine\n"), 0o644))
	tests := []struct {
		name   string
		flags  []string
		script string
		want   string
	}{
		{"id shows the primary group among the groups", nil, "id", "uid=0(root) gid=0(root) groups=0(root)\n"},
		{"a user's groups start with its primary one", []string{"--user", "app"}, "id", "uid=1000(app) gid=1000(app) groups=1000(app),1001(extra)\n"},
		{"group-add by name and gid", []string{"--group-add", "extra", "--group-add", "4242"}, "id -G", "0 1001 4242\n"},
		{"ulimit sets soft and hard limits", []string{"--ulimit", "nofile=100:" + itoa(hard), "--ulimit", "core=0"}, "ulimit -n; ulimit -Hn; ulimit -c", "100\n" + itoa(hard) + "\n0\n"},
		{"shm-size sizes /dev/shm", []string{"--shm-size", "8m"}, "df -k /dev/shm | tail -1 | awk '{print $2}'", "8192\n"},
		{"/dev/shm is 64m by default", nil, "df -k /dev/shm | tail -1 | awk '{print $2}'", "65536\n"},
		{"tmpfs on /dev/shm replaces it", []string{"--tmpfs", "/dev/shm:size=2m"}, "grep -c ' /dev/shm ' /proc/mounts; df -k /dev/shm | tail -1 | awk '{print $2}'", "1\n2048\n"},
		{"sysctl of the network and of IPC", []string{"--sysctl", "net.ipv4.ip_forward=1", "--sysctl", "kernel.shmmax=123456"}, "cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax", "1\n123456\n"},
		{"a non-root process may listen on port 80", []string{"--user", "app"}, "cat /proc/sys/net/ipv4/ip_unprivileged_port_start; nc -l -p 80 & sleep 0.3; netstat -ltn | grep -c ':80 '; kill %1", "0\n1\n"},
		{"domainname", []string{"--domainname", "example.org"}, "cat /proc/sys/kernel/domainname", "example.org\n"},
		{"oom-score-adj raised", []string{"--oom-score-adj", "500"}, "cat /proc/self/oom_score_adj", "500\n"},
		{"cap-add all then cap-drop drops it", []string{"--cap-add=all", "--cap-drop=net_raw"}, "grep CapEff /proc/self/status | awk '{print $2}'", "000001ffffffdfff\n"},
		{"mount type=tmpfs is noexec, nosuid, nodev, 1777", []string{"--mount", "type=tmpfs,target=/t"}, "grep ' /t ' /proc/mounts | grep -o 'nosuid,nodev,noexec'; stat -c %a /t", "nosuid,nodev,noexec\n1777\n"},
		{"-v over /etc/hosts replaces urun's", []string{"-v", hosts + ":/etc/hosts:ro"}, "cat /etc/hosts", "10.9.8.7 mine\n"},
		{"-v over /etc/hosts with the host's network", []string{"--network", "host", "-v", hosts + ":/etc/hosts"}, "cat /etc/hosts", "10.9.8.7 mine\n"},
		{"-v with :ro,Z (no SELinux here)", []string{"-v", hosts + ":/x:ro,Z"}, "cat /x", "10.9.8.7 mine\n"},
		{"the host's network has the host's name", []string{"--network", "host"}, "hostname", hostName + "\n"},
		{"the host's network with --hostname", []string{"--network", "host", "--hostname", "web"}, "hostname", "web\n"},
		{"uts host", []string{"--uts", "host"}, "hostname; cat /etc/hostname", hostName + "\n" + hostName + "\n"},
		{"mount type=image is the image's files, read-only", []string{"--mount", "type=image,source=" + busyboxRef + ",target=/img"}, "test -f /img/etc/layer2 && echo found; touch /img/x 2>/dev/null; echo $?", "found\n1\n"},
		{"mount type=image with rw=true takes writes", []string{"--mount", "type=image,source=" + busyboxRef + ",target=/img,rw=true"}, "touch /img/x && echo written", "written\n"},
		{"ipc host", []string{"--ipc", "host"}, "readlink /proc/self/ns/ipc", nsLink(t, "ipc") + "\n"},
		{"pid host sees the host's processes", []string{"--pid", "host"}, "readlink /proc/self/ns/pid", nsLink(t, "pid") + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "sh", "-c", tt.script)
			assert.Equal(t, tt.want, e.urun(t, args...).ok(t))
		})
	}
	t.Run("-v ./dir is relative to the current directory", func(t *testing.T) {
		cmd := e.command(context.Background(), "run", "--rm", "-v", "./:/src", busyboxRef, "cat", "/src/mark")
		cmd.Dir = cwd
		out, err := cmd.Output()
		require.NoError(t, err)
		assert.Equal(t, "here\n", string(out))
	})
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func nsLink(t *testing.T, name string) string {
	t.Helper()
	l, err := os.Readlink("/proc/self/ns/" + name)
	require.NoError(t, err)
	return l
}

// A created container gets its flags again at each start.
func TestStartAppliesTheKernelFlagsAgain(t *testing.T) {
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "create", "--ulimit", "nofile=64:64", "--group-add", "extra", "--sysctl", "kernel.shmmax=4242",
		"--domainname", "d.example", busyboxRef, "sh", "-c", "ulimit -n; id -G; cat /proc/sys/kernel/shmmax /proc/sys/kernel/domainname").ok(t))
	want := "64\n0 1001\n4242\nd.example\n"
	assert.Equal(t, want, e.urun(t, "start", "-a", id).ok(t))
	assert.Equal(t, want, e.urun(t, "start", "-a", id).ok(t))
	e.urun(t, "rm", id).ok(t)
}

// exec gets the container's groups and limits; --privileged every
// capability.
func TestExecPrivilegedAndTheContainersGroups(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "-d", "--name", "target", "--group-add", "extra", "--ulimit", "nofile=50:60", busyboxRef, "sleep", "60").ok(t)
	defer e.urun(t, "rm", "-f", "target")
	assert.Equal(t, "0 1001\n50\n", e.urun(t, "exec", "target", "sh", "-c", "id -G; ulimit -n").ok(t))
	assert.Equal(t, "00000000a80425fb\n", e.urun(t, "exec", "target", "sh", "-c", "grep CapEff /proc/self/status | awk '{print $2}'").ok(t))
	privileged := e.urun(t, "exec", "--privileged", "target", "sh", "-c", "grep CapEff /proc/self/status | awk '{print $2}'").ok(t)
	assert.NotEqual(t, "00000000a80425fb\n", privileged)
	assert.True(t, strings.HasPrefix(privileged, "000001ff") || strings.HasPrefix(privileged, "000000ff"), "every capability: %s", privileged)
}

// Without -t the command gets no terminal, even with -i on the caller's
// terminal: stty fails, /dev/tty cannot be opened, as with Docker.
func TestInteractiveWithoutTerminalGetsNoTerminal(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "-d", "--name", "target", busyboxRef, "sleep", "60").ok(t)
	defer e.urun(t, "rm", "-f", "target")
	script := "stty >/dev/null 2>&1; echo stty=$?; cat /dev/tty </dev/null >/dev/null 2>&1; echo tty=$?"
	for _, args := range [][]string{
		{"run", "--rm", "-i", busyboxRef, "sh", "-c", script},
		{"exec", "-i", "target", "sh", "-c", script},
	} {
		t.Run(args[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			term := startOnTerminal(t, e.command(ctx, args...), 24, 80)
			text, err := term.wait(t)
			require.NoError(t, err)
			assert.Contains(t, text, "stty=1")
			assert.Contains(t, text, "tty=1")
		})
	}
}

func TestRunKernelFlagRefusals(t *testing.T) {
	e := containerEnv(t)
	tests := []struct {
		name    string
		flags   []string
		wantErr string
	}{
		{"a sysctl of the host", []string{"--sysctl", "kernel.hostname=x"}, "not a namespaced sysctl"},
		{"a net sysctl with the host's network", []string{"--network", "host", "--sysctl", "net.ipv4.ip_forward=1"}, "--network host"},
		{"a hard limit above the caller's", []string{"--ulimit", "nofile=10:-1"}, "a rootless container cannot raise it"},
		{"an oom score below the caller's", []string{"--oom-score-adj", "-1000"}, "can only raise it"},
		{"a group the image lacks", []string{"--group-add", "nosuchgroup"}, "no such group"},
		{"the pid namespace of a container that does not exist", []string{"--pid", "container:other"}, "No such container"},
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

// With --pid host the container's processes do not end with its init by
// themselves: urun ends them, and top lists only them.
func TestPidHostContainerEndsWhole(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "-d", "--name", "hostpid", "--pid", "host", busyboxRef, "sh", "-c", "sleep 171 & sleep 172").ok(t)
	require.Eventually(t, func() bool {
		return len(lines(e.urun(t, "top", "hostpid").stdout)) == 3
	}, 10*time.Second, 100*time.Millisecond, "top lists the header, sleep 172 and sleep 171, not the host's processes")
	assert.Equal(t, "in\n", e.urun(t, "exec", "hostpid", "echo", "in").ok(t), "exec into a container with the host's PID namespace")
	e.urun(t, "rm", "-f", "hostpid").ok(t)
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", "171"), "the process init forked ended with the container")
	assert.Equal(t, "bg\n", e.urun(t, "run", "--rm", "--pid", "host", busyboxRef, "sh", "-c", "sleep 173 & echo bg").ok(t))
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", "173"), "a --rm container in the foreground ends whole")
}
