package test

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Publishing ports, with urun's default network (slirp4netns) and port
// driver (rootlesskit's builtin one, in urun); TestPublishWithEachPortDriver
// (network_drivers_test.go) runs every port driver. Every server the tests
// run on the host listens on 127.0.0.1, and every client connects to it.

// A user serves a directory with busybox httpd in a container and fetches
// a file from the host, with the host port picked by urun or by the user.
func TestPublishServesAFileOverHTTP(t *testing.T) {
	e := sharedStore(t)
	fixed := freePort(t, "tcp")
	for i, c := range []struct {
		name    string
		publish string
		wantIP  string // "" for any
		want    int    // host port; 0 for one urun picked
	}{
		{"-p 0:80 picks a free port", "0:80", "", 0},
		{"-p 80 picks a free port", "80", "", 0},
		{"-p 127.0.0.1::80 picks a free port of 127.0.0.1", "127.0.0.1::80", "127.0.0.1", 0},
		{"-p 127.0.0.1:PORT:80", fmt.Sprintf("127.0.0.1:%d:80", fixed), "127.0.0.1", fixed},
	} {
		t.Run(c.name, func(t *testing.T) {
			token := "served-" + strconv.Itoa(fixed) + "-" + strconv.Itoa(i)
			r := startContainer(t, e, []string{"-p", c.publish}, 1, busyboxRef, webServer(80, token)...)
			p := r.published()[0]
			assert.Equal(t, 80, p.ContainerPort)
			assert.Equal(t, "tcp", p.Proto)
			assert.NotZero(t, p.HostPort, "the line shows the real host port, not 0")
			if c.want != 0 {
				assert.Equal(t, c.want, p.HostPort)
			}
			if c.wantIP != "" {
				assert.Equal(t, c.wantIP, p.HostIP)
			}
			assert.Equal(t, token+"\n", httpGet(t, "http://"+p.addr()+"/index.html"))
			assert.Equal(t, 0, r.stop(t), "the container's command exits 0 when its stdin ends")
			// The port is free again once the container is gone.
			l, err := net.Listen("tcp4", p.addr())
			if assert.NoError(t, err, "the host port %d is free again after the container ended", p.HostPort) {
				l.Close()
			}
		})
	}
}

// A user with a run root deep in the file system (as the suite's own
// stores have, --runroot /tmp/urun-test-NNNNNNNNNN/run, and deeper) still
// publishes ports: whatever unix sockets urun uses must not outgrow the
// 107 bytes a socket path may have.
func TestPublishWithALongRunRoot(t *testing.T) {
	e := newEnvWith(t, envOptions{runRoot: filepath.Join(mkTemp(t), "a-rather-long-directory-name-for-the-run-root", "run")})
	e.urun(t, "pull", busyboxRef).ok(t)
	t.Logf("--runroot %s (%d bytes)", e.runRoot, len(e.runRoot))
	for _, network := range []string{"slirp4netns", "slirp4netns:port_handler=slirp4netns", "pasta"} {
		t.Run(network, func(t *testing.T) {
			r := startContainer(t, e, []string{"--network", network, "-p", "127.0.0.1::80"}, 1, busyboxRef, webServer(80, "long-run-root")...)
			assert.Equal(t, "long-run-root\n", httpGet(t, "http://"+r.published()[0].addr()+"/"))
			assert.Equal(t, 0, r.stop(t))
		})
	}
}

// A range of host ports maps onto a range of container ports, one
// "published" line for each.
func TestPublishPortRange(t *testing.T) {
	e := sharedStore(t)
	first := freePortRange(t, 2)
	spec := fmt.Sprintf("127.0.0.1:%d-%d:8080-8081", first, first+1)
	r := startContainer(t, e, []string{"-p", spec}, 2, busyboxRef, webServers(map[int]string{8080: "port8080", 8081: "port8081"})...)
	got := map[int]int{}
	for _, p := range r.published() {
		got[p.ContainerPort] = p.HostPort
	}
	assert.Equal(t, map[int]int{8080: first, 8081: first + 1}, got, "container port -> host port")
	assert.Equal(t, "port8080\n", httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", first)))
	assert.Equal(t, "port8081\n", httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", first+1)))
	assert.Equal(t, 0, r.stop(t))
}

// -P publishes what the image EXPOSEs (the helper image: 80/tcp) on free
// host ports.
func TestPublishAllExposedPorts(t *testing.T) {
	e, img := helperStore(t)
	r := startContainer(t, e, []string{"-P"}, 1, img, webServer(80, "exposed")...)
	p := r.published()[0]
	assert.Equal(t, 80, p.ContainerPort)
	assert.Equal(t, "tcp", p.Proto)
	assert.Equal(t, "exposed\n", httpGet(t, "http://"+p.addr()+"/"))
	assert.Equal(t, 0, r.stop(t))
}

// Two containers publish different ports at the same time; each answers on
// its own.
func TestTwoContainersPublishAtOnce(t *testing.T) {
	e := sharedStore(t)
	a := startContainer(t, e, []string{"-p", "127.0.0.1::80"}, 1, busyboxRef, webServer(80, "from-a")...)
	b := startContainer(t, e, []string{"-p", "127.0.0.1::80"}, 1, busyboxRef, webServer(80, "from-b")...)
	pa, pb := a.published()[0], b.published()[0]
	assert.NotEqual(t, pa.HostPort, pb.HostPort, "two containers, two host ports")
	assert.NotEqual(t, a.id, b.id)
	assert.Equal(t, "from-a\n", httpGet(t, "http://"+pa.addr()+"/"))
	assert.Equal(t, "from-b\n", httpGet(t, "http://"+pb.addr()+"/"))
	assert.Equal(t, 0, a.stop(t))
	// b still serves after a is gone.
	assert.Equal(t, "from-b\n", httpGet(t, "http://"+pb.addr()+"/"))
	assert.Equal(t, 0, b.stop(t))
}

// A host port that is taken: urun exits 125 before the container's command
// starts, names the port, and leaves nothing behind (no process, no
// container directory, the name is free again).
func TestPublishBusyPortFailsBeforeTheContainerStarts(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", busyboxRef).ok(t)
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port

	name := "busy-port-" + strconv.Itoa(port)
	res := e.urunLeavingNothing(t, "run", "--rm", "--name", name, "-p", fmt.Sprintf("127.0.0.1:%d:80", port), busyboxRef, "sh", "-c", "echo container-started")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, strconv.Itoa(port), "the message names the busy port")
	assert.NotContains(t, res.stdout+res.stderr, "container-started", "the container's command did not start")
	assert.Empty(t, parsePublishedLines(res.stderr), "no port was published")
	assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")), "no writable layer is left")
	assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-containers")))
	assert.Empty(t, entries(t, filepath.Join(e.RunRoot(), "containers")), "no run state is left")

	// The host's listener is untouched, and the name is free again.
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Write([]byte("still mine\n"))
			c.Close()
		}
	}()
	c, err := net.Dial("tcp4", l.Addr().String())
	require.NoError(t, err)
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	c.Close()
	assert.Equal(t, "still mine\n", string(buf[:n]), "the test's listener still owns the port")
	e.urun(t, "run", "--rm", "--name", name, busyboxRef, "true").ok(t)
}

// A host port below net.ipv4.ip_unprivileged_port_start cannot be bound by
// an ordinary user: urun exits 125 and names the sysctl.
func TestPublishPrivilegedPortNamesTheSysctl(t *testing.T) {
	start := unprivilegedPortStart(t)
	if start <= 80 {
		t.Skipf("net.ipv4.ip_unprivileged_port_start is %d here, so port 80 is not privileged (the set-up leaves the sysctl alone; Linux's default is 1024)", start)
	}
	e := sharedStore(t)
	res := e.urunLeavingNothing(t, "run", "--rm", "-p", "127.0.0.1:80:80", busyboxRef, "sh", "-c", "echo container-started")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "ip_unprivileged_port_start", "the message names the sysctl net.ipv4.ip_unprivileged_port_start")
	assert.Contains(t, res.stderr, "80", "the message names the port")
	assert.NotContains(t, res.stdout, "container-started")
}
