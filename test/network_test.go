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

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// netView runs a container that prints its network namespace and
// /proc/net/dev.
func netView(t *testing.T, e *env, flags ...string) (ns string, ifaces []string) {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "sh", "-c", "readlink /proc/self/ns/net && cat /proc/net/dev")
	ls := lines(e.urun(t, args...).ok(t))
	require.NotEmpty(t, ls)
	return ls[0], netDevNames(strings.Join(ls[1:], "\n"))
}

func TestRunNetworkNoneHasOnlyLoopback(t *testing.T) {
	e := sharedStore(t)
	ns, ifaces := netView(t, e, "--network", "none")
	assert.Equal(t, []string{"lo"}, ifaces)
	assert.NotEqual(t, hostNetNS(t), ns, "the container has its own network namespace")
}

func TestRunNetworkHostSeesHostInterfaces(t *testing.T) {
	e := sharedStore(t)
	hostDev, err := os.ReadFile("/proc/net/dev")
	require.NoError(t, err)
	want := netDevNames(string(hostDev))
	slices.Sort(want)
	ns, ifaces := netView(t, e, "--network", "host")
	slices.Sort(ifaces)
	assert.Equal(t, hostNetNS(t), ns, "the container shares the host's network namespace")
	assert.Equal(t, want, ifaces)
}

// netInfo is what a container sees of its network.
type netInfo struct {
	hostname, etcHostname string
	resolvText, hostsText string
	resolv                resolvConf
	hosts                 map[string][]string
	links                 map[string]int      // interface -> MTU
	addrs                 map[string][]string // interface -> IPv4 addresses with prefix length
	defaultVia            string
	netNS                 string
}

// nonLoopback returns the container's interfaces other than lo.
func (n netInfo) nonLoopback() []string {
	var out []string
	for name := range n.links {
		if name != "lo" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

const netInfoScript = `echo "== hostname"; hostname
echo "== etc-hostname"; cat /etc/hostname
echo "== resolv.conf"; cat /etc/resolv.conf
echo "== hosts"; cat /etc/hosts
echo "== links"; ip -o link show
echo "== addrs"; ip -4 -o addr show
echo "== routes"; ip -4 route show
echo "== netns"; readlink /proc/self/ns/net`

// runNetInfo runs a container with flags that prints its network set-up,
// and checks that nothing of it remains once it exited.
func runNetInfo(t *testing.T, e *env, flags ...string) netInfo {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "sh", "-c", netInfoScript)
	out := e.urunLeavingNothing(t, args...).ok(t)
	s := sections(out)
	n := netInfo{
		hostname:    strings.TrimSpace(s["hostname"]),
		etcHostname: strings.TrimSpace(s["etc-hostname"]),
		resolvText:  s["resolv.conf"],
		hostsText:   s["hosts"],
		resolv:      parseResolvConf(s["resolv.conf"]),
		hosts:       hostsEntries(s["hosts"]),
		links:       map[string]int{},
		addrs:       map[string][]string{},
		netNS:       strings.TrimSpace(s["netns"]),
	}
	// "2: tap0: <BROADCAST,UP,LOWER_UP> mtu 65520 qdisc ..."
	for _, l := range lines(s["links"]) {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
		mtu := 0
		for i := 2; i+1 < len(f); i++ {
			if f[i] == "mtu" {
				mtu, _ = strconv.Atoi(f[i+1])
			}
		}
		n.links[name] = mtu
	}
	// "2: tap0    inet 10.0.2.100/24 brd 10.0.2.255 scope global tap0 ..."
	for _, l := range lines(s["addrs"]) {
		f := strings.Fields(l)
		for i := 2; i+1 < len(f); i++ {
			if f[i] == "inet" {
				n.addrs[f[1]] = append(n.addrs[f[1]], f[i+1])
			}
		}
	}
	// "default via 10.0.2.2 dev tap0"
	for _, l := range lines(s["routes"]) {
		f := strings.Fields(l)
		if len(f) >= 3 && f[0] == "default" && f[1] == "via" {
			n.defaultVia = f[2]
		}
	}
	t.Logf("the container's network: links %v, addresses %v, default via %q\n/etc/resolv.conf:\n%s/etc/hosts:\n%s", n.links, n.addrs, n.defaultVia, n.resolvText, n.hostsText)
	return n
}

func isLoopbackIP(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && ip.IsLoopback()
}

// A user runs a container without --network: it gets slirp4netns's
// network, 10.0.2.100/24 behind the gateway 10.0.2.2 with slirp4netns's
// name server 10.0.2.3, and /etc/hosts, /etc/hostname to match.
func TestRunDefaultNetworkIsSlirp4netns(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name  string
		flags []string
	}{
		{"no --network", nil},
		{"--network slirp4netns", []string{"--network", "slirp4netns"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := runNetInfo(t, e, c.flags...)
			assert.NotEqual(t, hostNetNS(t), n.netNS, "the container has its own network namespace")
			if assert.Len(t, n.nonLoopback(), 1, "lo and slirp4netns's interface") {
				assert.Equal(t, []string{"10.0.2.100/24"}, n.addrs[n.nonLoopback()[0]])
			}
			assert.Contains(t, n.links, "lo")
			assert.Equal(t, "10.0.2.2", n.defaultVia, "the default route goes through slirp4netns's gateway")

			if assert.NotEmpty(t, n.resolv.nameservers) {
				assert.Equal(t, "10.0.2.3", n.resolv.nameservers[0], "slirp4netns's DNS forwarder comes first")
			}
			for _, ns := range n.resolv.nameservers {
				assert.False(t, isLoopbackIP(ns), "a loopback name server (%s) cannot answer in the container's own network namespace", ns)
			}

			assert.Equal(t, n.hostname, n.etcHostname, "/etc/hostname holds the host name")
			assert.Contains(t, n.hosts["localhost"], "127.0.0.1")
			assert.Equal(t, []string{"10.0.2.100"}, n.hosts[n.hostname], "/etc/hosts maps the host name to the container's address")
			assert.NotContains(t, n.hosts, "host.containers.internal", "the host's loopback is not reachable by default, so no name for it")
		})
	}
}

// slirp4netns's options: mtu=N sets the interface's MTU, cidr=CIDR moves
// the container, its gateway (.2) and its name server (.3).
func TestRunSlirp4netnsOptions(t *testing.T) {
	e := sharedStore(t)
	t.Run("mtu=1500", func(t *testing.T) {
		n := runNetInfo(t, e, "--network", "slirp4netns:mtu=1500")
		if assert.Len(t, n.nonLoopback(), 1) {
			assert.Equal(t, 1500, n.links[n.nonLoopback()[0]])
		}
	})
	t.Run("cidr=10.99.0.0/24", func(t *testing.T) {
		n := runNetInfo(t, e, "--network", "slirp4netns:cidr=10.99.0.0/24")
		if assert.Len(t, n.nonLoopback(), 1) {
			assert.Equal(t, []string{"10.99.0.100/24"}, n.addrs[n.nonLoopback()[0]])
		}
		assert.Equal(t, "10.99.0.2", n.defaultVia)
		if assert.NotEmpty(t, n.resolv.nameservers) {
			assert.Equal(t, "10.99.0.3", n.resolv.nameservers[0])
		}
		assert.Equal(t, []string{"10.99.0.100"}, n.hosts[n.hostname])
	})
	t.Run("allow_host_loopback=true,mtu=9000", func(t *testing.T) {
		n := runNetInfo(t, e, "--network", "slirp4netns:allow_host_loopback=true,mtu=9000")
		if assert.Len(t, n.nonLoopback(), 1) {
			assert.Equal(t, 9000, n.links[n.nonLoopback()[0]])
		}
		assert.Equal(t, []string{"10.0.2.2"}, n.hosts["host.containers.internal"])
	})
}

// The container reaches a server on the host's 127.0.0.1 through the
// gateway 10.0.2.2 (and by the name host.containers.internal) only when
// the user allows it with allow_host_loopback=true.
func TestRunReachesHostLoopbackOnlyWhenAllowed(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name    string
		network string
		allowed bool
	}{
		{"allow_host_loopback=true", "slirp4netns:allow_host_loopback=true", true},
		{"default", "", false},
		{"allow_host_loopback=false", "slirp4netns:allow_host_loopback=false", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startHostServer(t, "token-from-the-host-"+strconv.Itoa(os.Getpid()))
			args := []string{"run", "--rm"}
			if c.network != "" {
				args = append(args, "--network", c.network)
			}
			args = append(args, busyboxRef, "sh", "-c", fmt.Sprintf(`echo "== hosts"; cat /etc/hosts
echo "== nc"; timeout 20 nc -w 5 10.0.2.2 %d </dev/null; echo "rc=$?"`, srv.port))
			out := e.urunLeavingNothing(t, args...).ok(t)
			s := sections(out)
			hosts := hostsEntries(s["hosts"])
			if c.allowed {
				assert.Contains(t, s["nc"], srv.token+"\n", "the container read the host server's token through 10.0.2.2")
				assert.EqualValues(t, 1, srv.accepted.Load(), "the host server accepted the container's connection")
				assert.Equal(t, []string{"10.0.2.2"}, hosts["host.containers.internal"])
			} else {
				assert.NotContains(t, s["nc"], srv.token, "the host's loopback must not be reachable")
				assert.NotContains(t, s["nc"], "rc=0")
				assert.EqualValues(t, 0, srv.accepted.Load(), "the host server saw no connection")
				assert.NotContains(t, hosts, "host.containers.internal")
			}
		})
	}
}

// --dns, --dns-search, --dns-option and --add-host write the container's
// /etc/resolv.conf and /etc/hosts (Docker's meaning: --dns replaces the
// default name servers).
func TestRunDNSAndAddHostFlags(t *testing.T) {
	e := sharedStore(t)
	n := runNetInfo(t, e,
		"--dns", "192.0.2.53", "--dns", "192.0.2.54",
		"--dns-search", "example.test", "--dns-option", "ndots:2",
		"--add-host", "db.example.test:192.0.2.10", "--add-host", "cache:192.0.2.11")
	assert.Equal(t, []string{"192.0.2.53", "192.0.2.54"}, n.resolv.nameservers)
	assert.Equal(t, []string{"example.test"}, n.resolv.search)
	assert.Contains(t, n.resolv.options, "ndots:2")
	assert.Equal(t, []string{"192.0.2.10"}, n.hosts["db.example.test"])
	assert.Equal(t, []string{"192.0.2.11"}, n.hosts["cache"])
	assert.Contains(t, n.hosts["localhost"], "127.0.0.1")
	assert.Equal(t, []string{"10.0.2.100"}, n.hosts[n.hostname])
}

// A user edits the container's /etc/hosts, /etc/resolv.conf and
// /etc/hostname; the next container gets its own fresh ones.
func TestRunNetworkFilesAreEditable(t *testing.T) {
	e := sharedStore(t)
	out := e.urunLeavingNothing(t, "run", "--rm", busyboxRef, "sh", "-c", `set -e
echo "192.0.2.99 edited.example" >> /etc/hosts
echo "nameserver 192.0.2.98" > /etc/resolv.conf
echo edited-name > /etc/hostname
echo "== hosts"; cat /etc/hosts
echo "== resolv.conf"; cat /etc/resolv.conf
echo "== etc-hostname"; cat /etc/hostname`).ok(t)
	s := sections(out)
	assert.Equal(t, []string{"192.0.2.99"}, hostsEntries(s["hosts"])["edited.example"])
	assert.Contains(t, hostsEntries(s["hosts"])["localhost"], "127.0.0.1", "the appended line comes after urun's")
	assert.Equal(t, []string{"192.0.2.98"}, parseResolvConf(s["resolv.conf"]).nameservers)
	assert.Equal(t, "edited-name", strings.TrimSpace(s["etc-hostname"]))

	n := runNetInfo(t, e)
	assert.NotContains(t, n.hosts, "edited.example", "an earlier container's edit")
	assert.NotContains(t, n.resolv.nameservers, "192.0.2.98")
}

// --network pasta: a published port works, and the container's name
// servers are addresses it can use (pasta copies the host's set-up).
func TestRunNetworkPasta(t *testing.T) {
	if _, err := exec.LookPath("pasta"); err != nil {
		t.Fatalf("pasta is not installed: hack/setup-host.sh installs Debian's package passt (%v)", err)
	}
	e := sharedStore(t)
	t.Run("published port", func(t *testing.T) {
		r := startContainer(t, e, []string{"--network", "pasta", "-p", "127.0.0.1::80"}, 1, busyboxRef, webServer(80, "via-pasta")...)
		p := r.published()[0]
		assert.Equal(t, 80, p.ContainerPort)
		assert.Equal(t, "via-pasta\n", httpGet(t, "http://"+p.addr()+"/"))
		assert.Equal(t, 0, r.stop(t))
	})
	t.Run("network files", func(t *testing.T) {
		n := runNetInfo(t, e, "--network", "pasta")
		assert.NotEqual(t, hostNetNS(t), n.netNS, "the container has its own network namespace")
		assert.NotEmpty(t, n.nonLoopback(), "pasta gives the container an interface besides lo")
		if assert.NotEmpty(t, n.resolv.nameservers, "/etc/resolv.conf names a name server:\n%s", n.resolvText) {
			for _, ns := range n.resolv.nameservers {
				assert.NotNil(t, net.ParseIP(ns), "name server %q is an IP address", ns)
				assert.False(t, isLoopbackIP(ns), "a loopback name server (%s) cannot answer in the container's own network namespace", ns)
			}
		}
		assert.Equal(t, n.hostname, n.etcHostname)
		assert.Contains(t, n.hosts["localhost"], "127.0.0.1")
		assert.NotEmpty(t, n.hosts[n.hostname], "/etc/hosts maps the host name")
	})
}
