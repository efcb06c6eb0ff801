package test

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

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
	netDev                []string // interfaces in /proc/net/dev
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
echo "== netns"; readlink /proc/self/ns/net
echo "== netdev"; cat /proc/net/dev`

// runNetInfo runs a container with flags that prints its network set-up,
// and checks that nothing of it remains once it exited.
func runNetInfo(t *testing.T, e *env, flags ...string) netInfo {
	t.Helper()
	n, _ := runNetInfoAnd(t, e, "", flags...)
	return n
}

// runNetInfoAnd is runNetInfo with more script after netInfoScript; it
// also returns the output's sections (see sections), the script's own
// among them.
func runNetInfoAnd(t *testing.T, e *env, more string, flags ...string) (netInfo, map[string]string) {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "sh", "-c", netInfoScript+"\n"+more)
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
		netDev:      netDevNames(s["netdev"]),
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
	return n, s
}

func isLoopbackIP(s string) bool {
	ip := net.ParseIP(s)
	return ip != nil && ip.IsLoopback()
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
