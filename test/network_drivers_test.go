package test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The suite every network driver and every port driver runs: each is a
// row of a table, and each row is checked for what a user sees of it. A
// driver whose helper program is missing fails its row with what to
// install; none is skipped.

// networkDriver is a --network choice and what the container sees of it.
type networkDriver struct {
	name string
	// network is the --network value; "" leaves the choice to urun.
	network string
	// helper is the program the driver runs on the host, pkg the Debian
	// package that has it; "" for none and host.
	helper, pkg string
	ownNetNS    bool
	// hostLoopbackAt is where the container looks for the host's
	// loopback (viaGateway or viaLoopback); reachesHostLoopback whether
	// a server on the host's 127.0.0.1 answers it there.
	hostLoopbackAt      string
	reachesHostLoopback bool
	// sees checks what is the driver's own: interfaces, addresses, name
	// servers, the host name's address.
	sees func(t *testing.T, n netInfo)
}

// Where a container looks for the host's loopback: through its default
// gateway, which slirp4netns (allow_host_loopback=true) and pasta
// (--map-gw) map to the host's 127.0.0.1; or at 127.0.0.1 itself, the
// host's own with --network host and the container's own with none.
const (
	viaGateway  = "$gateway"
	viaLoopback = "127.0.0.1"
)

var networkDrivers = []networkDriver{
	{name: "no --network: slirp4netns", network: "", helper: "slirp4netns", pkg: "slirp4netns", ownNetNS: true,
		hostLoopbackAt: viaGateway, sees: seesSlirp4netns},
	{name: "slirp4netns", network: "slirp4netns", helper: "slirp4netns", pkg: "slirp4netns", ownNetNS: true,
		hostLoopbackAt: viaGateway, sees: seesSlirp4netns},
	{name: "slirp4netns:allow_host_loopback=true", network: "slirp4netns:allow_host_loopback=true", helper: "slirp4netns", pkg: "slirp4netns", ownNetNS: true,
		hostLoopbackAt: viaGateway, reachesHostLoopback: true, sees: seesSlirp4netns},
	{name: "slirp4netns:allow_host_loopback=false", network: "slirp4netns:allow_host_loopback=false", helper: "slirp4netns", pkg: "slirp4netns", ownNetNS: true,
		hostLoopbackAt: viaGateway, sees: seesSlirp4netns},
	{name: "pasta", network: "pasta", helper: "pasta", pkg: "passt", ownNetNS: true,
		hostLoopbackAt: viaGateway, sees: seesPasta},
	{name: "pasta:--map-gw", network: "pasta:--map-gw", helper: "pasta", pkg: "passt", ownNetNS: true,
		hostLoopbackAt: viaGateway, reachesHostLoopback: true, sees: seesPasta},
	{name: "none", network: "none", ownNetNS: true, hostLoopbackAt: viaLoopback, sees: seesOnlyLoopback},
	{name: "host", network: "host", hostLoopbackAt: viaLoopback, reachesHostLoopback: true, sees: seesTheHostsNetwork},
}

// flags are the run flags that choose the driver.
func (d networkDriver) flags() []string {
	if d.network == "" {
		return nil
	}
	return []string{"--network", d.network}
}

// requireHelper fails the test, saying what to install, when the program
// a driver runs is not in PATH.
func requireHelper(t *testing.T, helper, pkg string) {
	t.Helper()
	if helper == "" {
		return
	}
	if _, err := exec.LookPath(helper); err != nil {
		t.Fatalf("%s is not installed: hack/setup-host.sh installs Debian's package %s (%v)", helper, pkg, err)
	}
}

// seesSlirp4netns: 10.0.2.100/24 behind the gateway 10.0.2.2 with
// slirp4netns's name server 10.0.2.3, and /etc/hosts to match.
func seesSlirp4netns(t *testing.T, n netInfo) {
	if assert.Len(t, n.nonLoopback(), 1, "lo and slirp4netns's interface") {
		assert.Equal(t, []string{"10.0.2.100/24"}, n.addrs[n.nonLoopback()[0]])
	}
	assert.Contains(t, n.links, "lo")
	assert.Equal(t, "10.0.2.2", n.defaultVia, "the default route goes through slirp4netns's gateway")
	if assert.NotEmpty(t, n.resolv.nameservers) {
		assert.Equal(t, "10.0.2.3", n.resolv.nameservers[0], "slirp4netns's DNS forwarder comes first")
	}
	assert.Equal(t, []string{"10.0.2.100"}, n.hosts[n.hostname], "/etc/hosts maps the host name to the container's address")
}

// seesPasta: an interface besides lo, set up as pasta copies the host's,
// and name servers the container can use.
func seesPasta(t *testing.T, n netInfo) {
	assert.NotEmpty(t, n.nonLoopback(), "pasta gives the container an interface besides lo")
	if assert.NotEmpty(t, n.resolv.nameservers, "/etc/resolv.conf names a name server:\n%s", n.resolvText) {
		for _, ns := range n.resolv.nameservers {
			assert.NotNil(t, net.ParseIP(ns), "name server %q is an IP address", ns)
		}
	}
	assert.NotEmpty(t, n.hosts[n.hostname], "/etc/hosts maps the host name")
}

// seesOnlyLoopback: --network none has lo and nothing else; the host name
// stands for a loopback address, as Debian names a host without network.
func seesOnlyLoopback(t *testing.T, n netInfo) {
	assert.Equal(t, []string{"lo"}, n.netDev)
	assert.Equal(t, []string{"127.0.1.1"}, n.hosts[n.hostname])
}

// seesTheHostsNetwork: --network host has the host's interfaces, its
// resolv.conf as it is, and its /etc/hosts (with --add-host's lines after
// it).
func seesTheHostsNetwork(t *testing.T, n netInfo) {
	hostDev, err := os.ReadFile("/proc/net/dev")
	require.NoError(t, err)
	want := netDevNames(string(hostDev))
	slices.Sort(want)
	got := slices.Sorted(slices.Values(n.netDev))
	assert.Equal(t, want, got)
	hostResolv, err := os.ReadFile("/etc/resolv.conf")
	require.NoError(t, err)
	assert.Equal(t, strings.TrimSpace(string(hostResolv)), strings.TrimSpace(n.resolvText), "the host's /etc/resolv.conf as it is")
	hostHosts, err := os.ReadFile("/etc/hosts")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(n.hostsText, strings.TrimRight(string(hostHosts), "\n")), "/etc/hosts begins with the host's:\n%s", hostHosts)
}

// A user runs a container with each --network driver: the container has
// its own network namespace or the host's, its /etc/resolv.conf names
// servers it can reach, its /etc/hosts names localhost, the container and
// each --add-host, and a server on the host's 127.0.0.1 answers it only
// where the driver lets it (then host.containers.internal names the
// way there). Nothing of the container is left once it ended.
func TestRunWithEachNetworkDriver(t *testing.T) {
	e := sharedStore(t)
	for _, d := range networkDrivers {
		t.Run(d.name, func(t *testing.T) {
			requireHelper(t, d.helper, d.pkg)
			srv := startHostServer(t, "token-from-the-host-"+strconv.Itoa(os.Getpid()))
			// pasta:--map-gw passes the host server's data but not its
			// close on: timeout ends nc then.
			probe := fmt.Sprintf(`gateway=$(ip -4 route show | awk '$1 == "default" { print $3; exit }')
echo "== nc"; timeout 10 nc -w 5 %s %d </dev/null; echo "rc=$?"`, d.hostLoopbackAt, srv.port)
			flags := append(d.flags(), "--add-host", "db.example.test:192.0.2.10")
			n, s := runNetInfoAnd(t, e, probe, flags...)

			if d.ownNetNS {
				assert.NotEqual(t, hostNetNS(t), n.netNS, "the container has its own network namespace")
				assert.Contains(t, n.hosts["localhost"], "127.0.0.1")
				for _, ns := range n.resolv.nameservers {
					assert.False(t, isLoopbackIP(ns), "a loopback name server (%s) cannot answer in the container's own network namespace", ns)
				}
			} else {
				assert.Equal(t, hostNetNS(t), n.netNS, "the container shares the host's network namespace")
			}
			assert.Equal(t, n.hostname, n.etcHostname, "/etc/hostname holds the host name")
			assert.Equal(t, []string{"192.0.2.10"}, n.hosts["db.example.test"], "--add-host")
			d.sees(t, n)

			if d.reachesHostLoopback {
				assert.Contains(t, s["nc"], srv.token+"\n", "the container read the host server's token")
				assert.EqualValues(t, 1, srv.accepted.Load(), "the host server accepted the container's connection")
				if d.ownNetNS {
					assert.Equal(t, []string{n.defaultVia}, n.hosts["host.containers.internal"], "the name of the host's loopback is the gateway")
				}
				return
			}
			assert.NotContains(t, s["nc"], srv.token, "the host's loopback must not be reachable")
			assert.NotContains(t, s["nc"], "rc=0")
			assert.EqualValues(t, 0, srv.accepted.Load(), "the host server saw no connection")
			assert.NotContains(t, n.hosts, "host.containers.internal", "the host's loopback is not reachable, so no name for it")
		})
	}
}

// A user asks for a driver whose program is not installed: urun exits 125
// before the container's command starts, saying which package to install,
// and leaves nothing behind.
func TestRunWithANetworkDriverNotInstalledSaysWhatToInstall(t *testing.T) {
	e := sharedStore(t)
	// urun's own binaries only: no slirp4netns, no pasta.
	without := *e
	without.vars = append(slicesClone(e.vars), "PATH="+binDir)
	for _, d := range networkDrivers {
		if d.helper == "" {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, d.flags()...), busyboxRef, "sh", "-c", "echo container-started")
			res := without.urunLeavingNothing(t, args...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, "needs "+d.helper+", which is not in PATH")
			assert.Contains(t, res.stderr, "install the "+d.pkg+" package")
			assert.NotContains(t, res.stdout, "container-started")
		})
	}
}

// portDriver is a way urun publishes ports, as the user chooses it.
type portDriver struct {
	name    string
	network string
	// helper is the program the port driver needs on the host, pkg its
	// Debian package.
	helper, pkg string
	// clientAddr is where a server in the container sees a client of the
	// host's 127.0.0.1 come from; "" where that is the driver's own
	// address (it is logged).
	clientAddr string
	// lostUDPAnswer, when set, says why the container's answer to a
	// datagram from the host's 127.0.0.1 does not come back: the test
	// then asserts that the datagram arrives, and logs the answer's loss.
	lostUDPAnswer string
}

var portDrivers = []portDriver{
	{name: "rootlesskit's builtin driver, the default", network: "", helper: "slirp4netns", pkg: "slirp4netns", clientAddr: "127.0.0.1"},
	{name: "slirp4netns's API", network: "slirp4netns:port_handler=slirp4netns", helper: "slirp4netns", pkg: "slirp4netns",
		lostUDPAnswer: "slirp4netns sends nothing to the host's loopback while the container may not reach it (--disable-host-loopback, urun's default), answers included: podman issue 4586"},
	{name: "pasta", network: "pasta", helper: "pasta", pkg: "passt",
		lostUDPAnswer: "passt 0.0~git20230309 (Debian 12) loses the answers of a forwarded UDP port"},
}

// webAndUDPEchoServers is a container command of the helper image:
// webServer's httpd on tcpPort, and the helper's UDP echo server on
// udpPort, which prints "ready ID" and ends with its stdin.
func webAndUDPEchoServers(tcpPort int, body string, udpPort int) []string {
	return []string{"sh", "-c", startWebServer(tcpPort, body) + fmt.Sprintf("exec %s udp-echo %d", helperPath, udpPort)}
}

// A user publishes a TCP and a UDP port of a container with each port
// driver: a client on the host fetches a page over HTTP, and its datagram
// reaches the container, whose answer comes back where the driver lets it
// (lostUDPAnswer); once the container ended both host ports are free again
// and nothing of it is left.
func TestPublishWithEachPortDriver(t *testing.T) {
	e, img := helperStore(t)
	for i, d := range portDrivers {
		t.Run(d.name, func(t *testing.T) {
			requireHelper(t, d.helper, d.pkg)
			flags := []string{"-p", "127.0.0.1::80", "-p", "127.0.0.1::53/udp"}
			if d.network != "" {
				flags = append([]string{"--network", d.network}, flags...)
			}
			token := "port-driver-" + strconv.Itoa(i)
			r := startContainer(t, e, flags, 2, img, webAndUDPEchoServers(80, token, 53)...)
			var tcp, udp published
			for _, p := range r.published() {
				assert.Equal(t, "127.0.0.1", p.HostIP)
				assert.NotZero(t, p.HostPort, "the line shows the real host port, not 0")
				if p.Proto == "udp" {
					udp = p
				} else {
					tcp = p
				}
			}
			assert.Equal(t, 80, tcp.ContainerPort)
			assert.Equal(t, 53, udp.ContainerPort)

			assert.Equal(t, token+"\n", httpGet(t, "http://"+tcp.addr()+"/"))
			peer := httpGet(t, "http://"+tcp.addr()+"/cgi-bin/peer")
			if d.clientAddr != "" {
				assert.Equal(t, d.clientAddr, peerAddress(peer), "REMOTE_ADDR in the container (raw %q)", peer)
			} else {
				t.Logf("REMOTE_ADDR with %s: %q", d.name, peer)
			}
			arrived := func() bool { return strings.Contains(r.stdout.String(), "got hello-udp from ") }
			answer := udpExchange(t, udp.addr(), "hello-udp", arrived)
			// The server prints before it answers, but its output reaches
			// the test through urun's relay, which may come after the answer.
			assert.Eventually(t, arrived, 5*time.Second, 20*time.Millisecond, "the datagram reached the container's echo server")
			if answer == "" && d.lostUDPAnswer != "" {
				t.Logf("the echo server's answer did not come back, as expected: %s", d.lostUDPAnswer)
			} else {
				assert.True(t, strings.HasPrefix(answer, "echo hello-udp from "), "the container's echo server answered: %q", answer)
				t.Logf("the UDP server saw the datagram come from %s", strings.TrimPrefix(answer, "echo hello-udp from "))
			}

			assert.Equal(t, 0, r.stop(t), "the container's command exits 0 when its stdin ends")
			if l, err := net.Listen("tcp4", tcp.addr()); assert.NoError(t, err, "the host port %d/tcp is free again after the container ended", tcp.HostPort) {
				l.Close()
			}
			if c, err := net.ListenPacket("udp4", udp.addr()); assert.NoError(t, err, "the host port %d/udp is free again after the container ended", udp.HostPort) {
				c.Close()
			}
		})
	}
}
