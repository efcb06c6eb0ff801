package holder

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strconv"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/usernet"
)

// setUpNamespace readies the holder's network namespace: loopback up and
// forwarding on, for the networks' traffic to the uplink.
func setUpNamespace() error {
	lo, err := netlink.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("find the holder's loopback: %w", err)
	}
	if err := netlink.LinkSetUp(lo); err != nil {
		return fmt.Errorf("set the holder's loopback up: %w", err)
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1"), 0o644); err != nil {
		return fmt.Errorf("turn on forwarding in the networks' namespace: %w", err)
	}
	return nil
}

// attach connects the container of r to each of its networks. Called
// with mu held.
func (h *holder) attach(r usernet.AttachRequest) ([]usernet.Endpoint, error) {
	ns, err := netns.GetFromPath(fmt.Sprintf("/proc/%d/ns/net", r.WaiterPID))
	if err != nil {
		return nil, fmt.Errorf("open the container's network namespace: %w", err)
	}
	defer ns.Close()
	inside, err := netlink.NewHandleAt(ns)
	if err != nil {
		return nil, fmt.Errorf("enter the container's network namespace: %w", err)
	}
	defer inside.Close()
	if lo, err := inside.LinkByName("lo"); err == nil {
		inside.LinkSetUp(lo)
	}
	var made []usernet.Endpoint
	undo := func() {
		for _, e := range made {
			h.removeEndpoint(e)
		}
	}
	for _, na := range r.Networks {
		e, err := h.attachOne(r, na, ns, inside)
		if err != nil {
			undo()
			return nil, fmt.Errorf("connect to network %s: %w", na.Network.Name, err)
		}
		made = append(made, e)
		h.state.Endpoints = append(h.state.Endpoints, e)
	}
	if h.state.Containers == nil {
		h.state.Containers = map[string]usernet.Container{}
	}
	c := h.state.Containers[r.Container.ID]
	c.ID, c.Name = r.Container.ID, r.Container.Name
	if r.Container.Links != nil {
		c.Links = r.Container.Links
	}
	c.Names = c.Names || r.Container.Names
	c.WaiterPID, c.KeepFD = r.WaiterPID, r.KeepFD
	if r.Container.Upstreams != nil {
		c.Upstreams = r.Container.Upstreams
	}
	h.state.Containers[r.Container.ID] = c
	if err := h.save(); err != nil {
		undo()
		return nil, err
	}
	h.watch(r.Container.ID, r.WaiterPID)
	if c.Names && h.dns[r.WaiterPID] == nil {
		if err := h.serveNames(r.Container.ID, r.WaiterPID); err != nil {
			return nil, err
		}
	}
	return made, nil
}

func (h *holder) attachOne(r usernet.AttachRequest, na usernet.NetworkAttach, ns netns.NsHandle, inside *netlink.Handle) (usernet.Endpoint, error) {
	spec := na.Network
	for _, e := range h.endpointsOf(r.Container.ID) {
		if e.Network == spec.Name {
			return usernet.Endpoint{}, fmt.Errorf("container %s is already connected to it", r.Container.Name)
		}
	}
	bridge, err := h.ensureBridge(spec)
	if err != nil {
		return usernet.Endpoint{}, err
	}
	ip, err := h.allocate(spec, na.IP)
	if err != nil {
		return usernet.Endpoint{}, err
	}
	e := usernet.Endpoint{
		Network: spec.Name, NetworkID: spec.ID, EndpointID: randomHex(32),
		ContainerID: r.Container.ID, ContainerName: r.Container.Name, Aliases: na.Aliases,
		Interface: h.freeInterface(r.Container.ID), HostVeth: "veth" + randomHex(4)[:7],
		IP: ip, PrefixLen: spec.Subnet.Bits(), Gateway: spec.Gateway, MAC: macOf(ip).String(),
		WaiterPID: r.WaiterPID,
	}
	if spec.Subnet6.IsValid() {
		e.IP6, e.PrefixLen6, e.Gateway6 = ipv6Of(spec, ip), spec.Subnet6.Bits(), spec.Gateway6
	}
	mtu := mtuOf(spec)
	veth := &netlink.Veth{
		LinkAttrs:        netlink.LinkAttrs{Name: e.HostVeth, MTU: mtu, MasterIndex: bridge.Attrs().Index},
		PeerName:         e.Interface,
		PeerHardwareAddr: macOf(ip),
		PeerNamespace:    netlink.NsFd(int(ns)),
		PeerMTU:          uint32(mtu),
	}
	if err := netlink.LinkAdd(veth); err != nil {
		return e, fmt.Errorf("create the veth pair: %w%s", err, moduleHint(err, "veth"))
	}
	fail := func(what string, err error) (usernet.Endpoint, error) {
		h.removeEndpoint(e)
		return e, fmt.Errorf("%s: %w", what, err)
	}
	if err := netlink.LinkSetUp(veth); err != nil {
		return fail("set the veth up", err)
	}
	peer, err := inside.LinkByName(e.Interface)
	if err != nil {
		return fail("find the container's interface", err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: ip.AsSlice(), Mask: net.CIDRMask(spec.Subnet.Bits(), ip.BitLen())}}
	if err := inside.AddrAdd(peer, addr); err != nil {
		return fail("give the container's interface its address", err)
	}
	if e.IP6.IsValid() {
		// No duplicate address detection: the holder hands the
		// addresses out, and it would keep the address unusable for
		// seconds.
		addr6 := &netlink.Addr{IPNet: &net.IPNet{IP: e.IP6.AsSlice(), Mask: net.CIDRMask(e.PrefixLen6, 128)}, Flags: unix.IFA_F_NODAD}
		if err := inside.AddrAdd(peer, addr6); err != nil {
			return fail("give the container's interface its IPv6 address", err)
		}
	}
	if err := inside.LinkSetUp(peer); err != nil {
		return fail("set the container's interface up", err)
	}
	if !spec.Internal && !hasDefaultRoute(inside) {
		route := &netlink.Route{LinkIndex: peer.Attrs().Index, Gw: spec.Gateway.AsSlice()}
		if err := inside.RouteAdd(route); err != nil {
			return fail("route the container's traffic through the gateway", err)
		}
	}
	return e, nil
}

// moduleHint names the fix when the kernel lacks a link type: a user
// namespace cannot load its module.
func moduleHint(err error, module string) string {
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) {
		return " (the kernel lacks the " + module + " module, which a user namespace cannot load: as root, 'modprobe " + module + "')"
	}
	return ""
}

func hasDefaultRoute(inside *netlink.Handle) bool {
	routes, err := inside.RouteList(nil, unix.AF_INET)
	if err != nil {
		return false
	}
	for _, r := range routes {
		if r.Dst == nil || r.Dst.IP.IsUnspecified() {
			return true
		}
	}
	return false
}

// mtuOf is the network's MTU (netdef.DefaultMTU unless -o mtu= said).
func mtuOf(spec usernet.NetworkSpec) int {
	if spec.MTU > 0 {
		return spec.MTU
	}
	return 65520
}

// ensureBridge makes the network's bridge, with the gateway's address,
// if it is not there yet.
func (h *holder) ensureBridge(spec usernet.NetworkSpec) (netlink.Link, error) {
	if link, err := netlink.LinkByName(spec.Bridge); err == nil {
		return link, nil
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: spec.Bridge, MTU: mtuOf(spec)}}
	if err := netlink.LinkAdd(br); err != nil {
		return nil, fmt.Errorf("create bridge %s: %w%s", spec.Bridge, err, moduleHint(err, "bridge"))
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: spec.Gateway.AsSlice(), Mask: net.CIDRMask(spec.Subnet.Bits(), spec.Gateway.BitLen())}}
	if err := netlink.AddrAdd(br, addr); err != nil {
		netlink.LinkDel(br)
		return nil, fmt.Errorf("give bridge %s the gateway's address: %w", spec.Bridge, err)
	}
	if spec.Gateway6.IsValid() {
		addr6 := &netlink.Addr{IPNet: &net.IPNet{IP: spec.Gateway6.AsSlice(), Mask: net.CIDRMask(spec.Subnet6.Bits(), 128)}, Flags: unix.IFA_F_NODAD}
		if err := netlink.AddrAdd(br, addr6); err != nil {
			netlink.LinkDel(br)
			return nil, fmt.Errorf("give bridge %s the IPv6 gateway's address: %w", spec.Bridge, err)
		}
	}
	if err := netlink.LinkSetUp(br); err != nil {
		netlink.LinkDel(br)
		return nil, fmt.Errorf("set bridge %s up: %w", spec.Bridge, err)
	}
	if err := h.fw.addNetwork(spec); err != nil {
		netlink.LinkDel(br)
		return nil, err
	}
	if h.state.Networks == nil {
		h.state.Networks = map[string]usernet.NetworkSpec{}
	}
	h.state.Networks[spec.Name] = spec
	return br, nil
}

// allocate hands out want, or the first free address of the network's
// range.
func (h *holder) allocate(spec usernet.NetworkSpec, want netip.Addr) (netip.Addr, error) {
	used := map[netip.Addr]bool{spec.Gateway: true}
	for _, e := range h.state.Endpoints {
		if e.Network == spec.Name {
			used[e.IP] = true
		}
	}
	pool := spec.Subnet
	if spec.IPRange.IsValid() {
		pool = spec.IPRange
	}
	if want.IsValid() {
		switch {
		case !spec.Subnet.Contains(want):
			return want, fmt.Errorf("--ip %s is not in the network's subnet %s: give an address in it", want, spec.Subnet)
		case used[want]:
			return want, fmt.Errorf("--ip %s is taken on network %s: give another address, or none to get a free one", want, spec.Name)
		case want == spec.Subnet.Masked().Addr() || want == lastAddr(spec.Subnet):
			return want, fmt.Errorf("--ip %s is the network's own or broadcast address: give a host address", want)
		}
		return want, nil
	}
	last := lastAddr(spec.Subnet)
	for a := pool.Masked().Addr().Next(); pool.Contains(a) && a != last; a = a.Next() {
		if !used[a] && a != spec.Subnet.Masked().Addr() {
			return a, nil
		}
	}
	return netip.Addr{}, fmt.Errorf("network %s has no free address left", spec.Name)
}

// lastAddr is the broadcast address of an IPv4 subnet.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	bits := p.Bits()
	for i := range b {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				b[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// ipv6Of is the container's IPv6 address: the host part of its IPv4
// address within its subnet, in the IPv6 subnet (172.18.0.5 is ::5), so
// that the two are handed out together.
func ipv6Of(spec usernet.NetworkSpec, ip netip.Addr) netip.Addr {
	v4 := ip.As4()
	base := spec.Subnet.Masked().Addr().As4()
	var offset uint32
	for i := 0; i < 4; i++ {
		offset = offset<<8 | uint32(v4[i]-base[i])
	}
	b := spec.Subnet6.Masked().Addr().As16()
	for i := 15; i >= 12 && offset > 0; i-- {
		b[i] |= byte(offset)
		offset >>= 8
	}
	return netip.AddrFrom16(b)
}

// macOf is Docker's MAC address for ip: 02:42 and the address.
func macOf(ip netip.Addr) net.HardwareAddr {
	b := ip.As4()
	return net.HardwareAddr{0x02, 0x42, b[0], b[1], b[2], b[3]}
}

// freeInterface is the first ethN the container does not have.
func (h *holder) freeInterface(id string) string {
	var taken []string
	for _, e := range h.endpointsOf(id) {
		taken = append(taken, e.Interface)
	}
	for i := 0; ; i++ {
		name := "eth" + strconv.Itoa(i)
		if !slices.Contains(taken, name) {
			return name
		}
	}
}

func (h *holder) endpointsOf(id string) []usernet.Endpoint {
	var out []usernet.Endpoint
	for _, e := range h.state.Endpoints {
		if e.ContainerID == id {
			out = append(out, e)
		}
	}
	return out
}

// removeEndpoint deletes the endpoint's veth pair (gone already when the
// container's namespace went) and forgets it.
func (h *holder) removeEndpoint(e usernet.Endpoint) {
	if link, err := netlink.LinkByName(e.HostVeth); err == nil {
		netlink.LinkDel(link)
	}
	h.state.Endpoints = slices.DeleteFunc(h.state.Endpoints, func(x usernet.Endpoint) bool {
		return x.EndpointID == e.EndpointID
	})
}

// detach is `network disconnect`. Called with mu held.
func (h *holder) detach(r usernet.DetachRequest) error {
	for _, e := range h.endpointsOf(r.ContainerID) {
		if e.Network != r.Network {
			continue
		}
		// A container left on no network stays known until it ends: it
		// may be connected again.
		h.removeEndpoint(e)
		return h.save()
	}
	return errors.New("container is not connected to network " + r.Network)
}

// forget drops what the holder has of a container's run whose waiter was
// waiterPID, which ended. A container that was restarted is attached
// again with another waiter, which stays. Called with mu held.
func (h *holder) forget(id string, waiterPID int) {
	if s := h.dns[waiterPID]; s != nil {
		s.stop()
		delete(h.dns, waiterPID)
	}
	for _, e := range h.endpointsOf(id) {
		if e.WaiterPID == waiterPID {
			h.removeEndpoint(e)
		}
	}
	if c, ok := h.state.Containers[id]; ok && c.WaiterPID == waiterPID {
		delete(h.state.Containers, id)
	}
	h.checkIdle()
}

// watch forgets the container's run once its waiter ends.
func (h *holder) watch(id string, waiterPID int) {
	if h.watched[waiterPID] {
		return
	}
	fd, err := unix.PidfdOpen(waiterPID, 0)
	if err != nil {
		// Gone already.
		h.forget(id, waiterPID)
		return
	}
	h.watched[waiterPID] = true
	go func() {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			if _, err := unix.Poll(fds, -1); err != unix.EINTR {
				break
			}
		}
		unix.Close(fd)
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.watched, waiterPID)
		h.forget(id, waiterPID)
		h.save()
	}()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
