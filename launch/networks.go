package launch

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/netdef"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
	"github.com/urun/urun/usernet"
	"github.com/urun/urun/usernet/client"
)

// networkJoin is how a container on urun's networks (or sharing another
// container's network namespace) gets its namespaces: the user namespace
// it nests in or enters, and the network namespace it enters or keeps.
type networkJoin struct {
	userns, netns *os.File
	// nest: make a user namespace inside userns (networks); else enter it
	// and netns (container:NAME).
	nest bool
}

func (j *networkJoin) apply(ns *stage.Container) {
	ns.UserNS = j.userns
	ns.Nest = j.nest
	if j.nest {
		ns.Keep = j.netns
	} else {
		ns.NetNS = j.netns
	}
}

func (j *networkJoin) close() {
	if j == nil {
		return
	}
	j.userns.Close()
	j.netns.Close()
}

// networkAttacher attaches the container to its networks through the
// holder (network.Attacher).
type networkAttacher struct {
	session *client.Session
	request usernet.AttachRequest
	// endpoints are what Attach made.
	endpoints []usernet.Endpoint
	// release lets go of the networks' definitions (netdef.Use) once the
	// container is attached: none can be removed meanwhile.
	release   []func()
	closeOnce sync.Once
}

func (a *networkAttacher) Attach(pid int) error {
	a.request.WaiterPID = pid
	eps, err := a.session.Attach(a.request)
	a.Close()
	if err != nil {
		return err
	}
	a.endpoints = eps
	return nil
}

// Close ends the session with the holder: once the container is attached,
// the holder follows the container, not this command.
func (a *networkAttacher) Close() error {
	a.closeOnce.Do(func() {
		if a.session != nil {
			a.session.Close()
		}
		for _, r := range a.release {
			r()
		}
	})
	return nil
}

// connectNetworks finds the container's networks, connects to the holder
// (starting it if need be) and opens its namespaces; the container's user
// namespace will nest in the holder's.
func (c *container) connectNetworks(netDir string) (*networkJoin, error) {
	m := c.settings.Network
	a := &networkAttacher{}
	specs, err := networkSpecs(c, m.Networks, a)
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.request, err = c.attachRequest(specs); err != nil {
		a.Close()
		return nil, err
	}
	if a.session, err = client.Connect(c.cfg); err != nil {
		a.Close()
		return nil, err
	}
	trace.Mark("host", "network holder connected")
	join := &networkJoin{nest: true}
	if join.userns, join.netns, err = a.session.OpenNamespaces(); err != nil {
		a.Close()
		return nil, err
	}
	if c.net, err = network.NewAttached(m, netDir, c.settings.Ports, a); err != nil {
		join.close()
		a.Close()
		return nil, err
	}
	c.attacher = a
	return join, nil
}

// attachRequest is what the holder needs to attach the container to the
// networks specs describes, in the order of its --network.
func (c *container) attachRequest(specs []usernet.NetworkSpec) (usernet.AttachRequest, error) {
	m := c.settings.Network
	r := usernet.AttachRequest{Container: usernet.Container{ID: c.id, Name: c.state.Name, Links: map[string]string{}}}
	for i, at := range m.Networks {
		na := usernet.NetworkAttach{Network: specs[i], Aliases: at.Aliases}
		if at.IP != "" {
			var err error
			if na.IP, err = netip.ParseAddr(at.IP); err != nil {
				return r, fmt.Errorf("--ip %q: not an IP address", at.IP)
			}
		}
		r.Networks = append(r.Networks, na)
		r.Container.Names = r.Container.Names || specs[i].Names
	}
	for _, l := range m.Links {
		r.Container.Links[l.Alias] = l.Container
	}
	// As Docker's embedded DNS: --dns names whom the name server asks.
	for _, server := range c.settings.Names.DNS {
		r.Container.Upstreams = append(r.Container.Upstreams, net.JoinHostPort(server, "53"))
	}
	return r, nil
}

// networkSpecs looks the networks up (holding each, see netdef.Use, until
// a is closed) and checks the container's place on each.
func networkSpecs(c *container, attachments []network.Attachment, a *networkAttacher) ([]usernet.NetworkSpec, error) {
	var out []usernet.NetworkSpec
	for _, at := range attachments {
		n, release, err := netdef.Use(c.cfg, at.Name)
		if err != nil {
			return nil, networkError(at.Name, err)
		}
		a.release = append(a.release, release)
		s, err := specOf(n, at)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// checkNetworks refuses, before a container is made, networks that do not
// exist and places on them that cannot be had.
func checkNetworks(cfg *config.Config, m network.Mode) error {
	for _, at := range m.Networks {
		n, err := netdef.Get(cfg, at.Name)
		if err != nil {
			return networkError(at.Name, err)
		}
		if _, err := specOf(n, at); err != nil {
			return err
		}
	}
	return nil
}

func networkError(name string, err error) error {
	if errors.Is(err, netdef.ErrNotFound) {
		return fmt.Errorf("--network %s: %w: create it with 'urun network create %s', or pick one 'urun network ls' lists", name, err, name)
	}
	return err
}

// specOf is what the holder needs of network n for a container placed on
// it as at says: the address asked for must lie in its subnet, and only a
// network made with `network create` takes aliases (as in Docker).
func specOf(n netdef.Network, at network.Attachment) (usernet.NetworkSpec, error) {
	s := usernet.NetworkSpec{
		Name: n.Name, ID: n.ID, Bridge: n.BridgeName(), Internal: n.Internal, MTU: n.LinkMTU(),
		Names: !n.Builtin(),
	}
	if sub, ok := n.IPv4(); ok {
		s.Subnet, s.Gateway, s.IPRange = sub.Subnet, sub.Gateway, sub.IPRange
	}
	if sub, ok := n.IPv6Subnet(); ok {
		s.Subnet6, s.Gateway6 = sub.Subnet, sub.Gateway
	}
	if at.IP != "" {
		ip, err := netip.ParseAddr(at.IP)
		if err != nil || !s.Subnet.Contains(ip) {
			return s, fmt.Errorf("--ip %s is not an address in network %s's subnet %s: give one in it, or leave --ip out", at.IP, n.Name, s.Subnet)
		}
	}
	if len(at.Aliases) > 0 && n.Builtin() {
		return s, fmt.Errorf("--network-alias %s: aliases work only on networks made with 'urun network create', as in Docker", at.Aliases[0])
	}
	return s, nil
}

// joinContainerNetwork opens the user and network namespaces of the
// running container that --network container:NAME names.
func (c *container) joinContainerNetwork() (*networkJoin, error) {
	list, err := containers.List(c.cfg)
	if err != nil {
		return nil, err
	}
	other, err := containers.Find(list, c.settings.Network.Container)
	if err != nil {
		return nil, fmt.Errorf("--network container:%s: %w", c.settings.Network.Container, err)
	}
	pid, err := containers.InitPID(other.Dir)
	if err != nil || !other.Running {
		return nil, fmt.Errorf("--network container:%s: the container is not running: start it first", c.settings.Network.Container)
	}
	userns, err := os.Open(fmt.Sprintf("/proc/%d/ns/user", pid))
	if err != nil {
		return nil, fmt.Errorf("open the user namespace of container %s: %w", other.Name, err)
	}
	netns, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		userns.Close()
		return nil, fmt.Errorf("open the network namespace of container %s: %w", other.Name, err)
	}
	c.sharedNetDir = other.Dir
	return &networkJoin{userns: userns, netns: netns}, nil
}

// recordEndpoints keeps the container's endpoints in its record (inspect)
// and writes its /etc/hosts again with its address, and on the default
// network its links, before its command starts.
func (c *container) recordEndpoints(eps []usernet.Endpoint) error {
	recorded := endpointRecords(eps)
	st, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
		st.Networks = recorded
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the container's networks: %w", err)
	}
	c.state = st
	c.emitNetworks("connect")
	if len(eps) == 0 {
		return nil
	}
	links, err := c.linkEntries()
	if err != nil {
		return err
	}
	hosts, err := namefiles.HostsOnNetworks(c.settings.Network, c.spec.Hostname, eps[0].IP.String(), links, c.settings.Names)
	if err != nil {
		return err
	}
	// In place: init has bind-mounted the file already.
	return writeFile(containers.EtcFilePath(c.stateDir, "hosts"), hosts)
}

// linkEntries are the /etc/hosts lines of the container's links on the
// default network: "IP ALIAS NAME SHORTID", as Docker writes them.
func (c *container) linkEntries() ([]namefiles.HostEntry, error) {
	m := c.settings.Network
	if len(m.Links) == 0 || m.HasNames() {
		return nil, nil
	}
	eps, err := usernet.Endpoints(c.cfg)
	if err != nil {
		return nil, err
	}
	var out []namefiles.HostEntry
	for _, l := range m.Links {
		found := false
		for _, e := range eps {
			if e.Network != network.DefaultNetwork || (e.ContainerName != l.Container && !strings.HasPrefix(e.ContainerID, l.Container)) {
				continue
			}
			names := []string{l.Alias}
			if l.Alias != e.ContainerName {
				names = append(names, e.ContainerName)
			}
			out = append(out, namefiles.HostEntry{IP: e.IP.String(), Names: append(names, containers.ShortID(e.ContainerID))})
			found = true
			break
		}
		if !found {
			return nil, fmt.Errorf("--link %s: no running container %s on network %s: start it first", l.Container, l.Container, network.DefaultNetwork)
		}
	}
	return out, nil
}
