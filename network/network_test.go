package network

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// busyPort holds a TCP port on 127.0.0.1 for the test's duration.
func busyPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// freePort is a port nothing listens on a moment ago.
func freePort(t *testing.T, proto string) int {
	t.Helper()
	c, err := bindHostPort("127.0.0.1", 0, proto)
	require.NoError(t, err)
	defer c.Close()
	return boundPort(c)
}

func TestCheckPortsRejectsWhatCannotBePublished(t *testing.T) {
	busy := busyPort(t)
	free := freePort(t, "tcp")
	user := portLimits{unprivilegedStart: 1024}
	slirp := mustMode(t, "slirp4netns")
	tests := []struct {
		name    string
		mode    Mode
		ports   []PortMapping
		limits  portLimits
		wantErr string
	}{
		{name: "free and random ports", mode: slirp, limits: user, ports: []PortMapping{
			{HostIP: "127.0.0.1", HostPort: free, ContainerPort: 80, Proto: "tcp"},
			{HostIP: "127.0.0.1", ContainerPort: 81, Proto: "tcp"},
			{HostIP: "127.0.0.1", ContainerPort: 53, Proto: "udp"},
		}},
		{name: "a port in use", mode: slirp, limits: user,
			ports:   []PortMapping{{HostIP: "127.0.0.1", HostPort: busy, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "port 127.0.0.1:" + strconv.Itoa(busy) + "/tcp is already in use on the host: choose another with -p"},
		{name: "a port in use on every address", mode: slirp, limits: user,
			ports:   []PortMapping{{HostPort: busy, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "port " + strconv.Itoa(busy) + "/tcp is already in use on the host"},
		{name: "the same tcp port is free for udp", mode: slirp, limits: user,
			ports: []PortMapping{{HostIP: "127.0.0.1", HostPort: busy, ContainerPort: 53, Proto: "udp"}}},
		{name: "a privileged port", mode: slirp, limits: user,
			ports:   []PortMapping{{HostPort: 80, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "cannot publish host port 80: ports below 1024 (net.ipv4.ip_unprivileged_port_start) need root; choose a host port of 1024 or more with -p, or allow it with 'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80'"},
		{name: "a privileged port where the sysctl is lowered", mode: slirp, limits: portLimits{unprivilegedStart: 80},
			ports: []PortMapping{{HostIP: "127.0.0.1", HostPort: free, ContainerPort: 80, Proto: "tcp"}}},
		{name: "a privileged range", mode: slirp, limits: user,
			ports:   []PortMapping{{HostPort: 1000, HostPortEnd: 1100, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "ports below 1024"},
		{name: "the same host port twice", mode: slirp, limits: user, ports: []PortMapping{
			{HostIP: "127.0.0.1", HostPort: free, ContainerPort: 80, Proto: "tcp"},
			{HostIP: "127.0.0.1", HostPort: free, ContainerPort: 81, Proto: "tcp"},
		}, wantErr: "host port 127.0.0.1:" + strconv.Itoa(free) + "/tcp is published twice"},
		{name: "an address not of this host", mode: slirp, limits: user,
			ports:   []PortMapping{{HostIP: "198.51.100.254", HostPort: free, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "cannot publish on 198.51.100.254: it is not an address of this host"},
		{name: "IPv6 through slirp4netns's handler", mode: mustMode(t, "slirp4netns:port_handler=slirp4netns"), limits: user,
			ports:   []PortMapping{{HostIP: "::1", HostPort: free, ContainerPort: 80, Proto: "tcp"}},
			wantErr: "publishes on IPv4 only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPorts(tt.mode, tt.ports, tt.limits)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			assert.NoError(t, err)
		})
	}
}

func TestPickHostPortsFillsInFreePorts(t *testing.T) {
	busy := busyPort(t)
	got, err := pickHostPorts([]PortMapping{
		{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"},
		{HostIP: "127.0.0.1", ContainerPort: 53, Proto: "udp"},
		{HostIP: "127.0.0.1", HostPort: busy, HostPortEnd: busy + 1, ContainerPort: 81, Proto: "tcp"},
		{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 82, Proto: "tcp"},
	})
	require.NoError(t, err)
	assert.NotZero(t, got[0].HostPort)
	assert.NotZero(t, got[1].HostPort)
	// The range's first port is taken: its next one is picked.
	assert.Equal(t, PortMapping{HostIP: "127.0.0.1", HostPort: busy + 1, ContainerPort: 81, Proto: "tcp"}, got[2])
	assert.Equal(t, 8080, got[3].HostPort, "a given port stays")

	_, err = pickHostPorts([]PortMapping{{HostIP: "127.0.0.1", HostPort: busy, HostPortEnd: busy, ContainerPort: 80, Proto: "tcp"}})
	assert.ErrorContains(t, err, "every host port of")
}

func TestNewSaysWhichPackageIsMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for kind, pkg := range map[string]string{"slirp4netns": "install the slirp4netns package", "pasta": "install the passt package"} {
		_, err := New(mustMode(t, kind), t.TempDir(), nil)
		require.Error(t, err, kind)
		assert.Contains(t, err.Error(), pkg)
	}
}

func TestNewNeedsNothingForModesWithoutAHelper(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, kind := range []string{"none", "host"} {
		n, err := New(mustMode(t, kind), t.TempDir(), nil)
		require.NoError(t, err)
		assert.Nil(t, n.PortChildRequest())
		published, err := n.Attach(1)
		assert.NoError(t, err)
		assert.Empty(t, published)
		assert.NoError(t, n.Close())
	}
}

// fakeHelpers puts scripts named slirp4netns and pasta first in PATH.
func fakeHelpers(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"slirp4netns", "pasta"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\nexit 1\n"), 0o755))
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
}

func TestNewChecksTheHostPortsFirst(t *testing.T) {
	fakeHelpers(t)
	busy := busyPort(t)
	_, err := New(mustMode(t, "slirp4netns"), t.TempDir(), []PortMapping{{HostIP: "127.0.0.1", HostPort: busy, ContainerPort: 80, Proto: "tcp"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is already in use on the host")
}

func TestOnlyTheBuiltinPortDriverNeedsAPortChild(t *testing.T) {
	fakeHelpers(t)
	ports := []PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"}}
	for _, tt := range []struct {
		mode  string
		ports []PortMapping
		child bool
	}{
		{"slirp4netns", ports, true},
		{"slirp4netns", nil, false},
		{"slirp4netns:port_handler=slirp4netns", ports, false},
		{"pasta", ports, false},
	} {
		dir := t.TempDir()
		n, err := New(mustMode(t, tt.mode), dir, tt.ports)
		require.NoError(t, err, tt.mode)
		opaque := n.PortChildRequest()
		if !tt.child {
			assert.Nil(t, opaque, tt.mode)
			continue
		}
		assert.Equal(t, filepath.Join(dir, ".bp.sock"), opaque["builtin.socketpath"])
		// The child waits on the ready pipe, so it must exist at once.
		st, err := os.Stat(opaque["builtin.readypipepath"])
		require.NoError(t, err)
		assert.Equal(t, os.ModeNamedPipe, st.Mode().Type())
		require.NoError(t, n.Close())
		_, err = os.Stat(opaque["builtin.readypipepath"])
		assert.ErrorIs(t, err, os.ErrNotExist, "Close removes the ready pipe")
	}
}

func TestAttachReportsAHelperThatFails(t *testing.T) {
	fakeHelpers(t)
	for _, mode := range []string{"slirp4netns", "pasta"} {
		n, err := New(mustMode(t, mode), t.TempDir(), nil)
		require.NoError(t, err)
		_, err = n.Attach(os.Getpid())
		require.Error(t, err, mode)
		assert.Contains(t, err.Error(), mode+" exited (exit status 1)")
		assert.NoError(t, n.Close())
	}
}

// workingHelpers puts scripts first in PATH that behave as slirp4netns
// and pasta do towards urun: slirp4netns writes "1" to its ready pipe
// (fd 3) and ends when its exit pipe (fd 4) closes; pasta writes its pid
// to its --pid file and runs until SIGTERM. Each records its arguments
// and pid in dir.
func workingHelpers(t *testing.T) string {
	dir := t.TempDir()
	scripts := map[string]string{
		"slirp4netns": "#!/bin/sh\necho \"$@\" > " + dir + "/slirp4netns.args\necho $$ > " + dir + "/slirp4netns.pid\nprintf 1 >&3\nexec 3>&-\nexec cat <&4 >/dev/null\n",
		"pasta": "#!/bin/sh\necho \"$@\" > " + dir + "/pasta.args\n" +
			"while [ $# -gt 0 ]; do if [ \"$1\" = --pid ]; then pidfile=$2; fi; shift; done\n" +
			"echo $$ > " + dir + "/pasta.pid\necho $$ > \"$pidfile\"\nexec sleep 60\n",
	}
	for name, script := range scripts {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755))
	}
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	return dir
}

// helperGone reports whether the helper whose pid file is in dir has
// ended and been reaped.
func helperGone(t *testing.T, dir, name string) bool {
	data, err := os.ReadFile(filepath.Join(dir, name+".pid"))
	require.NoError(t, err)
	_, err = os.Stat("/proc/" + strings.TrimSpace(string(data)))
	return os.IsNotExist(err)
}

func TestAttachWaitsForTheHelperAndCloseEndsIt(t *testing.T) {
	for _, mode := range []string{"slirp4netns", "pasta"} {
		t.Run(mode, func(t *testing.T) {
			bin := workingHelpers(t)
			var ports []PortMapping
			port := freePort(t, "tcp")
			if mode == "pasta" {
				// pasta publishes itself; the fake publishes nothing.
				ports = []PortMapping{{HostIP: "127.0.0.1", HostPort: port, ContainerPort: 80, Proto: "tcp"}, {HostIP: "127.0.0.1", ContainerPort: 53, Proto: "udp"}}
			}
			n, err := New(mustMode(t, mode), t.TempDir(), ports)
			require.NoError(t, err)
			published, err := n.Attach(4242)
			require.NoError(t, err)
			require.Len(t, published, len(ports))
			args, err := os.ReadFile(filepath.Join(bin, mode+".args"))
			require.NoError(t, err)
			if mode == "pasta" {
				assert.NotZero(t, published[1].HostPort, "a free port is picked")
				assert.Contains(t, string(args), "-t 127.0.0.1/"+strconv.Itoa(port)+":80 -u 127.0.0.1/"+strconv.Itoa(published[1].HostPort)+":53")
				assert.Contains(t, string(args), "--userns /proc/4242/ns/user --netns /proc/4242/ns/net")
			} else {
				assert.Contains(t, string(args), "4242 tap0")
			}
			assert.False(t, helperGone(t, bin, mode), "the helper runs after Attach")
			require.NoError(t, n.Close())
			// Close does not wait for the kernel's teardown of the tap device.
			assert.Eventually(t, func() bool { return helperGone(t, bin, mode) }, 5*time.Second, 10*time.Millisecond,
				"no helper is left after Close")
			require.NoError(t, n.Close(), "Close again")
		})
	}
}
