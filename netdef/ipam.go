package netdef

import (
	"fmt"
	"iter"
	"net/netip"
)

// Subnet is one of a network's subnets: where its addresses come from.
type Subnet struct {
	Subnet  netip.Prefix `json:"subnet"`
	Gateway netip.Addr   `json:"gateway"`
	// IPRange is where containers' addresses are handed out from; the
	// zero Prefix is the whole subnet.
	IPRange netip.Prefix `json:"ip_range,omitzero"`
}

// Range is where addresses are handed out: IPRange, else the subnet.
func (s Subnet) Range() netip.Prefix {
	if s.IPRange.IsValid() {
		return s.IPRange
	}
	return s.Subnet
}

// Contains reports whether ip is one the network hands out on its own:
// in the range, neither the gateway nor the subnet's network or
// broadcast address.
func (s Subnet) Contains(ip netip.Addr) bool {
	return s.Range().Contains(ip) && s.usable(ip)
}

// usable: in the subnet, and neither the gateway nor the network or
// (IPv4) broadcast address.
func (s Subnet) usable(ip netip.Addr) bool {
	return s.Subnet.Contains(ip) && ip != s.Subnet.Addr() && ip != s.Gateway &&
		!(ip.Is4() && ip == broadcast(s.Subnet))
}

// Assignable checks an address asked for with --ip: any of the subnet's
// that is not its network, broadcast or gateway address, as Docker
// (the range only limits the addresses handed out unasked).
func (s Subnet) Assignable(ip netip.Addr) error {
	switch {
	case !s.Subnet.Contains(ip):
		return fmt.Errorf("--ip %s is outside the network's subnet %s: give an address inside it, or leave out --ip", ip, s.Subnet)
	case ip == s.Gateway:
		return fmt.Errorf("--ip %s is the network's gateway: give another address of %s", ip, s.Subnet)
	case ip == s.Subnet.Addr() || ip.Is4() && ip == broadcast(s.Subnet):
		return fmt.Errorf("--ip %s is the network or broadcast address of %s: give an address inside it", ip, s.Subnet)
	}
	return nil
}

// Next is the first address after after (the zero Addr: from the start)
// that Contains; ok is false when there is none.
func (s Subnet) Next(after netip.Addr) (netip.Addr, bool) {
	r := s.Range()
	ip := r.Addr()
	if after.IsValid() {
		if !r.Contains(after) {
			return netip.Addr{}, false
		}
		ip = after.Next()
	}
	for ; ip.IsValid() && r.Contains(ip); ip = ip.Next() {
		if s.usable(ip) {
			return ip, true
		}
	}
	return netip.Addr{}, false
}

// Hosts yields the addresses the network hands out, in order: the range's
// after the network address, skipping the gateway and the broadcast
// address. For an IPv6 /64 it does not end: stop when one fits.
func (s Subnet) Hosts() iter.Seq[netip.Addr] {
	return func(yield func(netip.Addr) bool) {
		for ip, ok := s.Next(netip.Addr{}); ok; ip, ok = s.Next(ip) {
			if !yield(ip) {
				return
			}
		}
	}
}

// Allocate is the first address of Hosts that used does not report: what
// a container on the network gets when it asks for none.
func (s Subnet) Allocate(used func(netip.Addr) bool) (netip.Addr, error) {
	for ip := range s.Hosts() {
		if !used(ip) {
			return ip, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("no free address is left in %s: remove containers from the network, or use a network with a larger --subnet or --ip-range", s.Range())
}

// broadcast is the last address of an IPv4 prefix.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := 32 - p.Bits()
	for i := 3; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		a[i] |= byte(1<<n - 1)
		host -= n
	}
	return netip.AddrFrom4(a)
}

// Broadcast is the subnet's broadcast address (IPv4 only).
func (s Subnet) Broadcast() netip.Addr {
	if !s.Subnet.Addr().Is4() {
		return netip.Addr{}
	}
	return broadcast(s.Subnet)
}
