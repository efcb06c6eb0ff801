package network

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
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
		assert.Nil(t, n.PortChildEnv())
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
		env := n.PortChildEnv()
		if !tt.child {
			assert.Nil(t, env, tt.mode)
			continue
		}
		require.Len(t, env, 1)
		name, value, _ := strings.Cut(env[0], "=")
		assert.Equal(t, PortChildEnvVar, name)
		var opaque map[string]string
		require.NoError(t, json.Unmarshal([]byte(value), &opaque))
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

func TestSlirp4netnsFlags(t *testing.T) {
	tests := []struct {
		name    string
		mode    string
		api     string
		sandbox bool
		want    string
	}{
		{"default", "slirp4netns", "", true,
			"--configure --mtu=65520 --disable-host-loopback --enable-sandbox --enable-seccomp --ready-fd=3 --exit-fd=4 4242 tap0"},
		{"every option", "slirp4netns:allow_host_loopback=true,mtu=1500,cidr=10.9.0.0/16,outbound_addr=eth0,outbound_addr6=eth1,enable_ipv6=true,port_handler=slirp4netns", "/run/s.sock", true,
			"--configure --mtu=1500 --enable-sandbox --enable-seccomp --ready-fd=3 --exit-fd=4 --api-socket /run/s.sock --cidr=10.9.0.0/16 --outbound-addr=eth0 --outbound-addr6=eth1 --enable-ipv6 4242 tap0"},
		{"without the sandbox", "slirp4netns", "", false,
			"--configure --mtu=65520 --disable-host-loopback --ready-fd=3 --exit-fd=4 4242 tap0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slirp4netnsArgs(mustMode(t, tt.mode).Slirp, 4242, tt.api, tt.sandbox)
			assert.Equal(t, tt.want, strings.Join(got, " "))
		})
	}
}

func TestPastaFlags(t *testing.T) {
	const ns = "--userns /proc/4242/ns/user --netns /proc/4242/ns/net"
	const fixed = "--config-net --foreground --quiet --pid /s/pasta.pid"
	tests := []struct {
		name  string
		mode  string
		ports []PortMapping
		want  string
	}{
		{"no ports", "pasta", nil,
			fixed + " -t none -u none -T none -U none --no-map-gw --dns-forward 169.254.1.1 " + ns},
		{"ports", "pasta", []PortMapping{
			{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
			{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Proto: "tcp"},
			{HostIP: "::1", HostPort: 5353, ContainerPort: 53, Proto: "udp"},
		}, fixed + " -t 8080:80 -t 127.0.0.1/8443:443 -u ::1/5353:53 -T none -U none --no-map-gw --dns-forward 169.254.1.1 " + ns},
		{"the user's own choices", "pasta:--map-gw,-T,5432,--dns-forward,10.9.9.9,-t,9000", nil,
			fixed + " -u none -U none -T 5432 --dns-forward 10.9.9.9 -t 9000 " + ns},
		{"the user's --no-map-gw", "pasta:--no-map-gw", nil,
			fixed + " -t none -u none -T none -U none --dns-forward 169.254.1.1 --no-map-gw " + ns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pastaArgs(mustMode(t, tt.mode).PastaArgs, 4242, tt.ports, "/s/pasta.pid")
			assert.Equal(t, tt.want, strings.Join(got, " "))
		})
	}
}

func TestPastasFailureIsFoundInItsNoise(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pasta.log")
	cmd := exec.Command("false")
	require.Error(t, cmd.Run())
	p := &pasta{proc: &helperProcess{name: "pasta", cmd: cmd, logPath: log}}
	for _, tt := range []struct{ log, want string }{
		{"pasta: unrecognized option '--bogus'\nFailed to send 51 bytes to syslog\nUsage: pasta [OPTION]...\nFailed to send 35 bytes to syslog\n       pasta [OPTION]... PID\n",
			"pasta exited (exit status 1): pasta: unrecognized option '--bogus'"},
		{"Failed to send 57 bytes to syslog\nFailed to bind any port for '-t 8080:80', exiting\n",
			"pasta exited (exit status 1): Failed to bind any port for '-t 8080:80', exiting"},
		{"", "pasta exited (exit status 1)"},
	} {
		require.NoError(t, os.WriteFile(log, []byte(tt.log), 0o600))
		assert.EqualError(t, p.failure(), tt.want)
	}
}

// fakeSlirpAPI answers each request on a unix socket with reply and
// records the requests.
func fakeSlirpAPI(t *testing.T, reply string) (string, chan map[string]any) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan map[string]any, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			data, _ := io.ReadAll(c)
			var req map[string]any
			json.Unmarshal(data, &req)
			got <- req
			c.Write([]byte(reply))
			c.Close()
		}
	}()
	return sock, got
}

func TestSlirpAPIPublishesThroughSlirp4netns(t *testing.T) {
	sock, got := fakeSlirpAPI(t, `{"return": {"id": 1}}`)
	a := &slirpAPI{socket: sock, guestIP: "10.0.2.100"}
	require.NoError(t, a.publish([]PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}, {HostIP: "127.0.0.1", HostPort: 5353, ContainerPort: 53, Proto: "udp"}}))
	assert.Equal(t, map[string]any{"execute": "add_hostfwd", "arguments": map[string]any{
		"proto": "tcp", "host_addr": "0.0.0.0", "host_port": 8080.0, "guest_addr": "10.0.2.100", "guest_port": 80.0,
	}}, <-got)
	assert.Equal(t, "127.0.0.1", (<-got)["arguments"].(map[string]any)["host_addr"])

	sock, _ = fakeSlirpAPI(t, `{"error": {"desc": "bad request: add_hostfwd: slirp_add_hostfwd failed"}}`)
	a = &slirpAPI{socket: sock, guestIP: "10.0.2.100"}
	err := a.publish([]PortMapping{{HostPort: 8080, ContainerPort: 80, Proto: "tcp"}})
	assert.EqualError(t, err, "publish 0.0.0.0:8080->80/tcp through slirp4netns: slirp4netns: bad request: add_hostfwd: slirp_add_hostfwd failed")
}

// TestBuiltinPortsForwardThroughTheChildDriver runs the port child's
// driver in this process and namespace: the parent listens on the host
// port, the child connects to the "container's" port and passes the
// connection back.
func TestBuiltinPortsForwardThroughTheChildDriver(t *testing.T) {
	server, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer server.Close()
	go func() {
		for {
			c, err := server.Accept()
			if err != nil {
				return
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			c.Write([]byte("echo " + line))
			c.Close()
		}
	}()

	dir := t.TempDir()
	b, err := newBuiltinPorts(dir, "127.0.0.1")
	require.NoError(t, err)
	var opaque map[string]string
	require.NoError(t, json.Unmarshal([]byte(b.childOpaque()), &opaque))
	quit := make(chan struct{})
	childDone := make(chan error, 1)
	go func() { childDone <- builtin.NewChildDriver(io.Discard).RunChildDriver(opaque, quit, "") }()

	ports, err := pickHostPorts([]PortMapping{{HostIP: "127.0.0.1", ContainerPort: server.Addr().(*net.TCPAddr).Port, Proto: "tcp"}})
	require.NoError(t, err)
	require.NoError(t, b.publish(ports))

	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0].HostPort)))
	require.NoError(t, err)
	c.Write([]byte("hi\n"))
	reply, _ := io.ReadAll(c)
	c.Close()
	assert.Equal(t, "echo hi\n", string(reply))

	require.NoError(t, b.stop())
	close(quit)
	assert.NoError(t, <-childDone)
	_, err = net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0].HostPort)))
	assert.Error(t, err, "the host port is closed after stop")
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
