// Package namefiles writes a container's /etc/resolv.conf and /etc/hosts
// for its --network mode, --dns, --dns-search, --dns-option and
// --add-host, the way `docker run` does.
package namefiles

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"github.com/urun/urun/network"
)

// Options are the options for the container's /etc/resolv.conf and
// /etc/hosts.
type Options struct {
	// DNS replaces the name servers, DNSSearch the search domains ("."
	// alone: none) and DNSOptions the options, each only when given.
	DNS, DNSSearch, DNSOptions []string
	// AddHosts are --add-host entries "NAME:IP" (or "NAME=IP"); IP may be
	// "host-gateway", the host as the container reaches it.
	AddHosts []string
}

// hostView is what names need to know about the host; tests fake it.
type hostView interface {
	// hostsFile is the host's /etc/hosts.
	hostsFile() ([]byte, error)
	// defaultRoute is the IPv4 default route's gateway and the address of
	// its interface.
	defaultRoute() (gateway, addr net.IP, err error)
}

// badNameRune is a character that no host name, search domain or
// resolv.conf option has, and that would change the meaning of the line
// of /etc/hosts or /etc/resolv.conf it is written to.
func badNameRune(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == '#' || r == ';'
}

// domainName is Docker's check of a --dns-search domain.
// It is compiled on first use, so that no urun start pays for it.
var domainName = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9_-]*[a-zA-Z0-9])\.)*([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9_-]*[a-zA-Z0-9])\.?$`)
})

// Check refuses --dns, --dns-search, --dns-option and --add-host
// values that ResolvConf or Hosts would refuse or write wrongly, before
// anything of the container is made.
func Check(m network.Mode, o Options) error {
	for _, s := range o.DNS {
		if net.ParseIP(s) == nil {
			return fmt.Errorf("--dns %q: not an IP address", s)
		}
	}
	for _, s := range o.DNSSearch {
		if s != "." && (len(s) > 255 || !domainName().MatchString(s)) {
			return fmt.Errorf("--dns-search %q: not a domain name (or . for none)", s)
		}
	}
	for _, s := range o.DNSOptions {
		if s == "" || strings.IndexFunc(s, badNameRune) >= 0 {
			return fmt.Errorf("--dns-option %q: give one resolv.conf option, such as ndots:2", s)
		}
	}
	if len(o.AddHosts) == 0 {
		return nil
	}
	_, err := parseAddHosts(m, o.AddHosts, realHost{})
	return err
}

// ResolvConf is the container's /etc/resolv.conf, given the host's.
//
// slirp4netns: its built-in forwarder (.3 of the CIDR, and fd00::3 with
// IPv6), which reaches the host's name servers, loopback ones included.
// pasta: pasta's DNS forwarding address, which reaches the host's first
// name server, loopback ones included. none: the host's
// but loopback ones. host: the host's file as it is. --dns, --dns-search
// and --dns-option replace their parts, as with Docker.
func ResolvConf(m network.Mode, host []byte, o Options) ([]byte, error) {
	for _, s := range o.DNS {
		if net.ParseIP(s) == nil {
			return nil, fmt.Errorf("--dns %q: not an IP address", s)
		}
	}
	if m.Kind == network.KindHost && len(o.DNS) == 0 && len(o.DNSSearch) == 0 && len(o.DNSOptions) == 0 {
		return host, nil
	}
	h := parseResolvConf(host)
	servers := o.DNS
	if m.Kind == network.KindNetworks && m.HasNames() {
		// As Docker's embedded DNS: urun's name server answers, and
		// passes what it does not know on to --dns's servers.
		servers = []string{"127.0.0.11"}
	} else if len(servers) == 0 {
		switch m.Kind {
		case network.KindSlirp4netns:
			servers = []string{m.Slirp.DNSIP().String()}
			if m.Slirp.EnableIPv6 {
				servers = append(servers, network.SlirpDNS6)
			}
		case network.KindPasta:
			// pasta's forwarding address, always: pasta sends what
			// arrives there to the host's first name server from the
			// host's side, loopback servers included, where a query
			// sent from the container straight to the host's server
			// (routed through pasta) went unanswered (Debian 12's
			// passt, a server the host itself reaches). Podman does
			// the same.
			servers = []string{m.PastaDNSForward()}
		case network.KindNetworks:
			// On the default network alone: slirp4netns's forwarder
			// behind the networks' uplink.
			servers = []string{network.DefaultSlirpDNS}
		case network.KindNone:
			servers = withoutLoopback(h.servers)
		default:
			servers = h.servers
		}
	}
	search := h.search
	if len(o.DNSSearch) > 0 {
		search = o.DNSSearch
		if len(search) == 1 && search[0] == "." {
			search = nil
		}
	}
	options := h.options
	if m.Kind == network.KindNetworks && m.HasNames() {
		// Docker's: every name goes to the name server as given first.
		options = append([]string{"ndots:0"}, options...)
	}
	if len(o.DNSOptions) > 0 {
		options = o.DNSOptions
	}
	var b bytes.Buffer
	if len(search) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(search, " "))
	}
	for _, s := range servers {
		fmt.Fprintf(&b, "nameserver %s\n", s)
	}
	if len(options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(options, " "))
	}
	return b.Bytes(), nil
}

type resolvConf struct {
	servers, search, options []string
}

// parseResolvConf reads what resolv.conf(5) says counts: every
// nameserver, the last search or domain line, every options line.
func parseResolvConf(data []byte) resolvConf {
	var r resolvConf
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			r.servers = append(r.servers, f[1])
		case "search", "domain":
			r.search = append([]string(nil), f[1:]...)
		case "options":
			r.options = append(r.options, f[1:]...)
		}
	}
	return r
}

// withoutLoopback drops name servers on the host's loopback, which a
// container with its own network namespace cannot reach.
func withoutLoopback(servers []string) []string {
	var out []string
	for _, s := range servers {
		addr, _, _ := strings.Cut(s, "%")
		if ip := net.ParseIP(addr); ip != nil && ip.IsLoopback() {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Hosts is the container's /etc/hosts: the localhost lines, the --add-host
// entries, host.containers.internal (and host.docker.internal) when the
// container may reach the host, and the container's own address with its
// host name. With the host's network it is the host's file plus the
// --add-host entries.
func Hosts(m network.Mode, hostname string, o Options) ([]byte, error) {
	return hosts(m, hostname, o, realHost{}, "", nil)
}

// HostEntry is a line of /etc/hosts: an address and its names.
type HostEntry struct {
	IP    string
	Names []string
}

// HostsOnNetworks is Hosts for a container on urun's networks, once it is
// attached: ip is its address on its first network; links are the
// containers it links to on the default network, which Docker writes
// there (on other networks the name server answers for them).
func HostsOnNetworks(m network.Mode, hostname, ip string, links []HostEntry, o Options) ([]byte, error) {
	return hosts(m, hostname, o, realHost{}, ip, links)
}

func hosts(m network.Mode, hostname string, o Options, hv hostView, ownIP string, links []HostEntry) ([]byte, error) {
	entries, err := parseAddHosts(m, o.AddHosts, hv)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if m.Kind == network.KindHost {
		data, err := hv.hostsFile()
		if err != nil {
			return nil, fmt.Errorf("read the host's /etc/hosts: %w", err)
		}
		b.Write(data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
		for _, e := range entries {
			fmt.Fprintf(&b, "%s\t%s\n", e.ip, e.name)
		}
		return b.Bytes(), nil
	}
	b.WriteString("127.0.0.1\tlocalhost\n" +
		"::1\tlocalhost ip6-localhost ip6-loopback\n" +
		"fe00::0\tip6-localnet\n" +
		"ff00::0\tip6-mcastprefix\n" +
		"ff02::1\tip6-allnodes\n" +
		"ff02::2\tip6-allrouters\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "%s\t%s\n", e.ip, e.name)
	}
	if gw, ok, _ := hostLoopbackGateway(m, hv); ok {
		fmt.Fprintf(&b, "%s\thost.containers.internal host.docker.internal\n", gw)
	}
	for _, l := range links {
		fmt.Fprintf(&b, "%s\t%s\n", l.IP, strings.Join(l.Names, " "))
	}
	own := ownIP
	if own == "" {
		var err error
		if own, err = containerIP(m, hv); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(&b, "%s\t%s\n", own, hostname)
	return b.Bytes(), nil
}

type hostEntry struct{ name, ip string }

// parseAddHosts checks --add-host entries, Docker's "NAME:IP" (split at
// the first colon, as IPv6 addresses have their own) or "NAME=IP", and
// resolves host-gateway.
func parseAddHosts(m network.Mode, specs []string, hv hostView) ([]hostEntry, error) {
	var out []hostEntry
	for _, s := range specs {
		name, ip, ok := strings.Cut(s, "=")
		if !ok {
			name, ip, ok = strings.Cut(s, ":")
		}
		if !ok || name == "" || strings.IndexFunc(name, badNameRune) >= 0 {
			return nil, fmt.Errorf("--add-host %q: want NAME:IP (a name without spaces, '#' or control characters)", s)
		}
		if strings.HasPrefix(ip, "[") && strings.HasSuffix(ip, "]") {
			ip = ip[1 : len(ip)-1]
		}
		if ip == "host-gateway" {
			gw, err := hostGateway(m, hv)
			if err != nil {
				return nil, fmt.Errorf("--add-host %s: %w", s, err)
			}
			ip = gw
		} else if net.ParseIP(ip) == nil {
			return nil, fmt.Errorf("--add-host %q: %q is not an IP address (or host-gateway)", s, ip)
		}
		out = append(out, hostEntry{name: name, ip: ip})
	}
	return out, nil
}

// hostLoopbackGateway is the address through which the container reaches
// the host's loopback, when its mode allows that: slirp4netns's gateway
// with allow_host_loopback=true, pasta's gateway with --map-gw.
func hostLoopbackGateway(m network.Mode, hv hostView) (string, bool, error) {
	switch {
	case m.Kind == network.KindSlirp4netns && m.Slirp.AllowHostLoopback:
		return m.Slirp.GatewayIP().String(), true, nil
	case m.Kind == network.KindPasta && m.PastaMapsGateway():
		if gw := pastaIPv4Arg(m.PastaArgs, "-g", "--gateway"); gw != "" {
			return gw, true, nil
		}
		gw, _, err := hv.defaultRoute()
		if err != nil {
			return "", false, err
		}
		return gw.String(), true, nil
	}
	return "", false, nil
}

// hostGateway is Docker's host-gateway: the host as seen from the
// container.
func hostGateway(m network.Mode, hv hostView) (string, error) {
	if gw, ok, err := hostLoopbackGateway(m, hv); ok || err != nil {
		return gw, err
	}
	switch m.Kind {
	case network.KindHost:
		return "127.0.0.1", nil
	case network.KindSlirp4netns:
		// slirp4netns connects out from the host, so the host's own
		// address reaches it (but not its loopback-only services).
		_, addr, err := hv.defaultRoute()
		if err != nil {
			return "", fmt.Errorf("host-gateway: the host has no address the container can reach (%v): use --network slirp4netns:allow_host_loopback=true", err)
		}
		return addr.String(), nil
	case network.KindPasta:
		return "", errors.New("host-gateway: with pasta the container shares the host's address and cannot reach the host unless pasta maps the gateway to it: use --network pasta:--map-gw")
	}
	return "", errors.New("host-gateway: --network none has no way to the host")
}

// containerIP is the container's own address, for its host name.
func containerIP(m network.Mode, hv hostView) (string, error) {
	switch m.Kind {
	case network.KindSlirp4netns:
		return m.Slirp.ContainerIP().String(), nil
	case network.KindPasta:
		// pasta copies the host's address unless told one.
		if a := pastaIPv4Arg(m.PastaArgs, "-a", "--address"); a != "" {
			return a, nil
		}
		if _, addr, err := hv.defaultRoute(); err == nil {
			return addr.String(), nil
		}
	}
	// A name for the host name that needs no network, as Debian gives it.
	return "127.0.1.1", nil
}

// pastaIPv4Arg is the first IPv4 value of a pasta option that may be
// given once for IPv4 and once for IPv6.
func pastaIPv4Arg(args []string, short, long string) string {
	for i, a := range args {
		var v string
		if (a == short || a == long) && i+1 < len(args) {
			v = args[i+1]
		} else if after, ok := strings.CutPrefix(a, long+"="); ok {
			v = after
		}
		if ip := net.ParseIP(v); ip != nil && ip.To4() != nil {
			return v
		}
	}
	return ""
}

// realHost reads the host's files.
type realHost struct{}

func (realHost) hostsFile() ([]byte, error) { return os.ReadFile("/etc/hosts") }

func (realHost) defaultRoute() (net.IP, net.IP, error) {
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return nil, nil, fmt.Errorf("read the routing table: %w", err)
	}
	iface, gw, err := parseDefaultRoute(data)
	if err != nil {
		return nil, nil, err
	}
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return nil, nil, fmt.Errorf("find the default route's interface %s: %w", iface, err)
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, nil, fmt.Errorf("list the addresses of %s: %w", iface, err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return gw, n.IP.To4(), nil
		}
	}
	return nil, nil, fmt.Errorf("the default route's interface %s has no IPv4 address", iface)
}

// parseDefaultRoute finds the IPv4 default route in /proc/net/route,
// whose addresses are hexadecimal numbers in the host's byte order.
func parseDefaultRoute(data []byte) (string, net.IP, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || f[1] != "00000000" {
			continue
		}
		v, err := strconv.ParseUint(f[2], 16, 32)
		if err != nil {
			continue
		}
		gw := make(net.IP, 4)
		binary.NativeEndian.PutUint32(gw, uint32(v))
		return f[0], gw, nil
	}
	return "", nil, errors.New("the host has no IPv4 default route")
}
