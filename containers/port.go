package containers

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// PublishedPorts are the ports the container publishes: none unless it
// runs, as Docker shows them.
func (c Container) PublishedPorts() []Port {
	if !c.Running {
		return []Port{}
	}
	return append([]Port{}, c.Ports...)
}

// HostAddr is where the port is reached on the host, "0.0.0.0:41234" for
// every address.
func (p Port) HostAddr() string {
	ip := p.HostIP
	if ip == "" {
		ip = "0.0.0.0"
	}
	return net.JoinHostPort(ip, strconv.Itoa(p.HostPort))
}

// Key is the container's side of the port as Docker names it: "80/tcp".
func (p Port) Key() string { return strconv.Itoa(p.ContainerPort) + "/" + p.Proto }

// PortLines is `urun port`'s output for the container ref names: every
// published port ("80/tcp -> 0.0.0.0:41234"), or with private
// (PORT[/PROTO], tcp by default) the host addresses of that one.
func PortLines(c Container, ref, private string) ([]string, error) {
	var out []string
	if private == "" {
		for _, p := range c.PublishedPorts() {
			out = append(out, p.Key()+" -> "+p.HostAddr())
		}
		return out, nil
	}
	port, proto, hasProto := strings.Cut(private, "/")
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || hasProto && proto != "tcp" && proto != "udp" {
		return nil, fmt.Errorf("invalid port %q: want PORT[/tcp|udp], PORT from 1 to 65535", private)
	}
	if !hasProto {
		proto = "tcp"
	}
	for _, p := range c.PublishedPorts() {
		if p.ContainerPort == n && p.Proto == proto {
			out = append(out, p.HostAddr())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no public port '%d/%s' published for %s", n, proto, ref)
	}
	return out, nil
}

// ConnectedNetworks are the container's endpoints on urun's networks while
// it runs.
func (c Container) ConnectedNetworks() []NetworkEndpoint {
	if !c.Running {
		return nil
	}
	return c.Networks
}
