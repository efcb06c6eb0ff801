package netdef

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
)

// CreateOptions are `urun network create`'s flags.
type CreateOptions struct {
	Name, Driver string
	// Subnets, Gateways and IPRanges are as given: each gateway and range
	// belongs to the subnet that holds it.
	Subnets, Gateways, IPRanges []string
	Internal, IPv6              bool
	Labels                      map[string]string
	Options                     map[string]string
}

// validName is Docker's rule for a network's name.
// It is compiled on first use, so that no urun start pays for it.
var validName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`) })

// maxNameLen keeps a network's file name within the file system's limit.
const maxNameLen = 200

// UplinkSubnet is slirp4netns's network, which carries a network's
// traffic out: no network may overlap it.
var UplinkSubnet = netip.MustParsePrefix("10.0.2.0/24")

// hostRoutesFile lists the host's IPv4 routes; tests point it elsewhere.
var hostRoutesFile = "/proc/net/route"

// mtuKeys are the -o keys that set the MTU.
var mtuKeys = []string{"mtu", "com.docker.network.driver.mtu"}

// Create validates o, as Docker does, and writes the new network's
// definition. Nothing is written when it fails.
func Create(cfg *config.Config, o CreateOptions) (Network, error) {
	n, err := prepare(o)
	if err != nil {
		return Network{}, err
	}
	s, err := lock(cfg, unix.LOCK_EX)
	if err != nil {
		return Network{}, err
	}
	defer s.unlock()
	list, err := s.networks()
	if err != nil {
		return Network{}, err
	}
	if slices.ContainsFunc(list, func(m Network) bool { return m.Name == n.Name }) {
		return Network{}, fmt.Errorf("network with name %s already exists: choose another name, or remove it first (urun network rm %s)", n.Name, n.Name)
	}
	if err := placeSubnets(&n, o, list); err != nil {
		return Network{}, err
	}
	if err := s.write(n); err != nil {
		return Network{}, err
	}
	Emit(cfg, n, "create")
	return n, nil
}

// prepare checks what does not depend on the other networks and fills
// in everything but the subnets.
func prepare(o CreateOptions) (Network, error) {
	switch {
	case o.Name == "":
		return Network{}, errors.New("a network needs a name: urun network create NAME")
	case len(o.Name) > maxNameLen:
		return Network{}, fmt.Errorf("network name %.20s... is too long: at most %d characters", o.Name, maxNameLen)
	case !validName().MatchString(o.Name):
		return Network{}, fmt.Errorf("invalid network name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed (a letter or digit first, then letters, digits, '_', '.' or '-')", o.Name)
	case o.Name == "host" || o.Name == "none" || o.Name == "default" || o.Name == "slirp4netns" || o.Name == "pasta" || o.Name == "private":
		return Network{}, fmt.Errorf("network name %s is taken by urun's --network %s mode: choose another name", o.Name, o.Name)
	}
	driver := o.Driver
	if driver == "" {
		driver = "bridge"
	}
	if driver != "bridge" {
		return Network{}, fmt.Errorf("network driver %q is not supported: urun's networks use driver bridge (the default; leave out --driver)", driver)
	}
	n := Network{
		Name: o.Name, ID: newID(), Created: time.Now(), Driver: driver,
		Internal: o.Internal, IPv6: o.IPv6,
		Labels: nonEmpty(o.Labels), Options: nonEmpty(o.Options),
	}
	for k, v := range o.Options {
		if !slices.Contains(mtuKeys, k) {
			return Network{}, fmt.Errorf("-o %s: unknown option for driver bridge: urun knows %s", k, strings.Join(mtuKeys, ", "))
		}
		mtu, err := strconv.Atoi(v)
		if err != nil || mtu < 68 || mtu > 65535 {
			return Network{}, fmt.Errorf("-o %s=%s: the MTU is a number from 68 to 65535", k, v)
		}
		if n.MTU != 0 && n.MTU != mtu {
			return Network{}, fmt.Errorf("-o %s=%s and -o %s=%d disagree: give the MTU once", k, v, otherKey(k), n.MTU)
		}
		n.MTU = mtu
	}
	return n, nil
}

func otherKey(k string) string {
	if k == mtuKeys[0] {
		return mtuKeys[1]
	}
	return mtuKeys[0]
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// placeSubnets sets n's subnets from o, or chooses free ones, and checks
// them against the networks in list.
func placeSubnets(n *Network, o CreateOptions, list []Network) error {
	var v4, v6 *Subnet
	for _, text := range o.Subnets {
		p, err := parseNetwork("--subnet", text)
		if err != nil {
			return err
		}
		s := &Subnet{Subnet: p}
		switch {
		case p.Addr().Is4() && v4 != nil:
			return fmt.Errorf("--subnet %s: a network has one IPv4 subnet, and it has %s already: give one", text, v4.Subnet)
		case p.Addr().Is6() && v6 != nil:
			return fmt.Errorf("--subnet %s: a network has one IPv6 subnet, and it has %s already: give one", text, v6.Subnet)
		case p.Addr().Is6() && !o.IPv6:
			return fmt.Errorf("--subnet %s is an IPv6 subnet: add --ipv6 to give the network IPv6", text)
		case p.Addr().Is4() && p.Bits() > 30:
			return fmt.Errorf("--subnet %s is too small for a gateway and a container: give a /30 or larger", text)
		case p.Addr().Is6() && p.Bits() > 126:
			return fmt.Errorf("--subnet %s is too small for a gateway and a container: give a /126 or larger", text)
		case p.Addr().IsLoopback() || p.Addr().IsMulticast() || p.Addr().IsLinkLocalUnicast() || p.Addr().IsUnspecified():
			return fmt.Errorf("--subnet %s is a loopback, multicast, link-local or unspecified range: give a private one, such as 10.89.0.0/24", text)
		case p.Addr().Is4():
			v4 = s
		default:
			v6 = s
		}
		if err := checkOverlap("--subnet "+text, p, list); err != nil {
			return err
		}
	}
	given := []*Subnet{v4, v6}
	for _, text := range o.Gateways {
		ip, err := netip.ParseAddr(text)
		if err != nil {
			return fmt.Errorf("--gateway %s is not an IP address: give one such as 172.18.0.1", text)
		}
		s := holder(given, func(s *Subnet) bool { return s.Subnet.Contains(ip) })
		switch {
		case s == nil:
			return fmt.Errorf("--gateway %s is in no --subnet of the network: give it the --subnet that holds it", text)
		case s.Gateway.IsValid():
			return fmt.Errorf("--gateway %s: subnet %s has gateway %s already: give one gateway per subnet", text, s.Subnet, s.Gateway)
		case ip == s.Subnet.Addr():
			return fmt.Errorf("--gateway %s is the network address of %s: give an address inside it, such as %s", text, s.Subnet, s.Subnet.Addr().Next())
		case ip.Is4() && ip == broadcast(s.Subnet):
			return fmt.Errorf("--gateway %s is the broadcast address of %s: give an address inside it, such as %s", text, s.Subnet, s.Subnet.Addr().Next())
		}
		s.Gateway = ip
	}
	for _, text := range o.IPRanges {
		r, err := parseNetwork("--ip-range", text)
		if err != nil {
			return err
		}
		s := holder(given, func(s *Subnet) bool { return s.Subnet.Contains(r.Addr()) && r.Bits() >= s.Subnet.Bits() })
		switch {
		case s == nil:
			return fmt.Errorf("--ip-range %s is in no --subnet of the network: give a range inside the network's --subnet", text)
		case s.IPRange.IsValid():
			return fmt.Errorf("--ip-range %s: subnet %s has range %s already: give one range per subnet", text, s.Subnet, s.IPRange)
		}
		s.IPRange = r
	}
	if v4 == nil {
		p, err := freeIPv4(list)
		if err != nil {
			return err
		}
		v4 = &Subnet{Subnet: p}
	}
	if o.IPv6 && v6 == nil {
		v6 = &Subnet{Subnet: freeIPv6(n.ID, list)}
	}
	for _, s := range []*Subnet{v4, v6} {
		if s == nil {
			continue
		}
		if !s.Gateway.IsValid() {
			s.Gateway = s.Subnet.Addr().Next()
		}
		if s.IPRange.IsValid() {
			if _, ok := s.Next(netip.Addr{}); !ok {
				return fmt.Errorf("--ip-range %s leaves no address for a container besides the gateway %s: give a larger range", s.IPRange, s.Gateway)
			}
		}
		n.Subnets = append(n.Subnets, *s)
	}
	return nil
}

func holder(subnets []*Subnet, fits func(*Subnet) bool) *Subnet {
	for _, s := range subnets {
		if s != nil && fits(s) {
			return s
		}
	}
	return nil
}

// parseNetwork parses a CIDR that must be a network's address.
func parseNetwork(flag, text string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(text)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%s %s is not in CIDR notation: give an address and a prefix length, such as 172.18.0.0/16", flag, text)
	}
	if masked := p.Masked(); masked != p {
		return netip.Prefix{}, fmt.Errorf("invalid %s %s: it should be %s", flag, text, masked)
	}
	return p, nil
}

// checkOverlap refuses a subnet p that overlaps another network's, or
// slirp4netns's.
func checkOverlap(what string, p netip.Prefix, list []Network) error {
	if p.Overlaps(UplinkSubnet) {
		return fmt.Errorf("%s overlaps %s, the network of slirp4netns that carries traffic out: %s", what, UplinkSubnet, suggest(p, list))
	}
	for _, n := range list {
		for _, s := range n.Subnets {
			if s.Subnet.Overlaps(p) {
				return fmt.Errorf("%s overlaps network %s (%s): %s", what, n.Name, s.Subnet, suggest(p, list))
			}
		}
	}
	return nil
}

func suggest(p netip.Prefix, list []Network) string {
	if p.Addr().Is4() {
		if free, err := freeIPv4(list); err == nil {
			return "give another --subnet, such as " + free.String()
		}
	}
	return "give another --subnet"
}

// The pools Docker takes its networks' subnets from: 172.18.0.0/16 to
// 172.31.0.0/16 (172.17 is the default network's), then 192.168.N.0/24.
func defaultPool() []netip.Prefix {
	var pool []netip.Prefix
	for b := 18; b <= 31; b++ {
		pool = append(pool, netip.PrefixFrom(netip.AddrFrom4([4]byte{172, byte(b), 0, 0}), 16))
	}
	for c := 0; c <= 255; c++ {
		pool = append(pool, netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 168, byte(c), 0}), 24))
	}
	return pool
}

// freeIPv4 is the first subnet of the pools that overlaps no network,
// nor slirp4netns's, nor a route of the host (which must stay reachable
// from the containers).
func freeIPv4(list []Network) (netip.Prefix, error) {
	taken := []netip.Prefix{UplinkSubnet}
	for _, n := range list {
		for _, s := range n.Subnets {
			taken = append(taken, s.Subnet)
		}
	}
	taken = append(taken, hostRoutes()...)
	for _, p := range defaultPool() {
		if !slices.ContainsFunc(taken, p.Overlaps) {
			return p, nil
		}
	}
	return netip.Prefix{}, errors.New("no free subnet is left in 172.18.0.0/16-172.31.0.0/16 and 192.168.0.0/16: remove networks you do not use (urun network prune), or give --subnet")
}

// hostRoutes are the destinations of the host's IPv4 routes, the default
// route left out. An unreadable table gives none.
func hostRoutes() []netip.Prefix {
	f, err := os.Open(hostRoutesFile)
	if err != nil {
		return nil
	}
	defer f.Close()
	var routes []netip.Prefix
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		// Iface Destination Gateway Flags RefCnt Use Metric Mask ...,
		// addresses as hex of the bytes in memory order (little-endian).
		fields := strings.Fields(sc.Text())
		if len(fields) < 8 {
			continue
		}
		dst, err1 := parseRouteAddr(fields[1])
		mask, err2 := parseRouteAddr(fields[7])
		if err1 != nil || err2 != nil {
			continue
		}
		m := binary.BigEndian.Uint32(mask[:])
		bits := 0
		for m&(1<<31) != 0 {
			bits, m = bits+1, m<<1
		}
		if bits == 0 {
			continue
		}
		routes = append(routes, netip.PrefixFrom(netip.AddrFrom4(dst), bits).Masked())
	}
	return routes
}

func parseRouteAddr(h string) ([4]byte, error) {
	var a [4]byte
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != 4 {
		return a, fmt.Errorf("route address %q", h)
	}
	a = [4]byte{b[3], b[2], b[1], b[0]}
	return a, nil
}

// freeIPv6 is a unique local /64 (RFC 4193) whose global id is the
// network's id's first 40 bits; the subnet id moves it past any other
// network's.
func freeIPv6(id string, list []Network) netip.Prefix {
	raw, _ := hex.DecodeString(id[:10])
	var a [16]byte
	a[0] = 0xfd
	copy(a[1:6], raw)
	for sub := 0; ; sub++ {
		binary.BigEndian.PutUint16(a[6:8], uint16(sub))
		p := netip.PrefixFrom(netip.AddrFrom16(a), 64)
		if checkOverlap("", p, list) == nil || sub == 0xffff {
			return p
		}
	}
}
