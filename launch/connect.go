package launch

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/netdef"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/usernet"
	"github.com/urun/urun/usernet/client"
)

// ConnectOptions are `urun network connect`'s.
type ConnectOptions struct {
	Network, Container string
	Aliases            []string
	IP                 string
}

// Connect connects a container to one more network: at once when it runs,
// at its next start when it does not. Only a container on urun's networks
// can be: its user namespace nests in the holder's, where veths can reach
// it.
func Connect(cfg *config.Config, o ConnectOptions) error {
	c, s, err := containerOnNetworks(cfg, o.Container)
	if err != nil {
		return err
	}
	m := s.Network
	if slices.Contains(m.NetworkNames(), o.Network) {
		return fmt.Errorf("container %s is already connected to network %s", c.Name, o.Network)
	}
	att := network.Attachment{Name: o.Network, Aliases: o.Aliases, IP: o.IP}
	probe := &container{cfg: cfg, id: c.ID, state: c.State, settings: s}
	a := &networkAttacher{}
	defer a.Close()
	specs, err := networkSpecs(probe, []network.Attachment{att}, a)
	if err != nil {
		return err
	}
	if c.Running {
		if err := attachRunning(cfg, c, att, specs[0], a); err != nil {
			return err
		}
	}
	s.Network.Networks = append(append([]network.Attachment(nil), m.Networks...), att)
	if err := containers.WriteSettings(cfg, c.State, s); err != nil {
		return err
	}
	netdef.EmitNamed(cfg, o.Network, "connect", "container", c.ID)
	if c.Running && specs[0].Names && !m.HasNames() {
		// The container asks urun's name server from now on.
		return rewriteResolvConf(c, s)
	}
	return nil
}

// attachRunning attaches a running container through the holder and
// records the new endpoint.
func attachRunning(cfg *config.Config, c containers.Container, att network.Attachment, spec usernet.NetworkSpec, a *networkAttacher) error {
	st, err := usernet.ReadState(usernet.Dir(cfg))
	if err != nil {
		return err
	}
	known, ok := st.Containers[c.ID]
	if !ok || !usernet.WaiterAlive(known.WaiterPID, st.UserNS) {
		return fmt.Errorf("container %s runs outside urun's networks now: restart it first", c.Name)
	}
	if a.session, err = client.Connect(cfg); err != nil {
		return err
	}
	na := usernet.NetworkAttach{Network: spec, Aliases: att.Aliases}
	if att.IP != "" {
		if na.IP, err = netip.ParseAddr(att.IP); err != nil {
			return fmt.Errorf("--ip %q: not an IP address", att.IP)
		}
	}
	r := usernet.AttachRequest{
		Container: usernet.Container{ID: c.ID, Name: c.Name, Names: spec.Names},
		WaiterPID: known.WaiterPID, KeepFD: known.KeepFD, Networks: []usernet.NetworkAttach{na},
	}
	made, err := a.session.Attach(r)
	if err != nil {
		return err
	}
	_, err = containers.Update(cfg, c.Dir, func(st *containers.State) error {
		st.Networks = append(st.Networks, endpointRecords(made)...)
		return nil
	})
	return err
}

// DisconnectOptions are `urun network disconnect`'s.
type DisconnectOptions struct {
	Network, Container string
	// Force disconnects from a network that no longer exists.
	Force bool
}

// Disconnect takes a container off a network.
func Disconnect(cfg *config.Config, o DisconnectOptions) error {
	c, s, err := containerOnNetworks(cfg, o.Container)
	if err != nil {
		return err
	}
	name := o.Network
	if n, err := netdef.Get(cfg, o.Network); err == nil {
		name = n.Name
	} else if !o.Force {
		return err
	}
	if !slices.Contains(s.Network.NetworkNames(), name) {
		return fmt.Errorf("container %s is not connected to network %s", c.Name, name)
	}
	if c.Running {
		session, err := client.Connect(cfg)
		if err != nil {
			return err
		}
		err = session.Detach(usernet.DetachRequest{ContainerID: c.ID, Network: name})
		session.Close()
		if err != nil && !o.Force {
			return err
		}
		if _, err := containers.Update(cfg, c.Dir, func(st *containers.State) error {
			st.Networks = slices.DeleteFunc(st.Networks, func(e containers.NetworkEndpoint) bool { return e.Network == name })
			return nil
		}); err != nil {
			return err
		}
	}
	s.Network.Networks = slices.DeleteFunc(append([]network.Attachment(nil), s.Network.Networks...), func(a network.Attachment) bool {
		return a.Name == name
	})
	netdef.EmitNamed(cfg, name, "disconnect", "container", c.ID)
	return containers.WriteSettings(cfg, c.State, s)
}

// containerOnNetworks finds a container and its settings, which must put
// it on urun's networks.
func containerOnNetworks(cfg *config.Config, ref string) (containers.Container, containers.Settings, error) {
	list, err := containers.List(cfg)
	if err != nil {
		return containers.Container{}, containers.Settings{}, err
	}
	c, err := containers.Find(list, ref)
	if err != nil {
		return c, containers.Settings{}, err
	}
	s, err := containers.ReadSettings(cfg, c.State)
	if err != nil {
		return c, s, err
	}
	if s.Network.Kind != network.KindNetworks {
		return c, s, errors.New("container " + c.Name + " is not on urun's networks (it runs with --network " + s.Network.Kind + "): only a container run with --network NAME can be connected to more; run it again with --network bridge or a network's name")
	}
	return c, s, nil
}

// rewriteResolvConf writes the container's /etc/resolv.conf again, in
// place (it is bind-mounted), for its networks now.
func rewriteResolvConf(c containers.Container, s containers.Settings) error {
	host, _ := os.ReadFile("/etc/resolv.conf")
	resolv, err := namefiles.ResolvConf(s.Network, host, s.Names)
	if err != nil {
		return err
	}
	return writeFile(containers.EtcFilePath(c.Dir, "resolv.conf"), resolv)
}

// endpointRecords are endpoints as a container's record keeps them.
func endpointRecords(eps []usernet.Endpoint) []containers.NetworkEndpoint {
	var out []containers.NetworkEndpoint
	for _, e := range eps {
		r := containers.NetworkEndpoint{
			Network: e.Network, NetworkID: e.NetworkID, EndpointID: e.EndpointID,
			IPAddress: e.IP.String(), IPPrefixLen: e.PrefixLen, Gateway: e.Gateway.String(),
			MacAddress: e.MAC, Aliases: e.Aliases,
		}
		if e.IP6.IsValid() {
			r.GlobalIPv6Address, r.GlobalIPv6PrefixLen, r.IPv6Gateway = e.IP6.String(), e.PrefixLen6, e.Gateway6.String()
		}
		out = append(out, r)
	}
	return out
}
