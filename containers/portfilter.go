package containers

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/network"
	"github.com/urun/urun/spec"
)

// portFilter is a publish or expose filter: PORT[/PROTO] or
// FIRST-LAST[/PROTO]; no protocol matches both.
type portFilter struct {
	first, last int
	proto       string
}

func parsePortFilter(v string) (portFilter, error) {
	ports, proto, _ := strings.Cut(v, "/")
	if proto != "" && proto != "tcp" && proto != "udp" && proto != "sctp" {
		return portFilter{}, errors.New("the protocol is tcp, udp or sctp")
	}
	firstText, lastText, isRange := strings.Cut(ports, "-")
	first, err := strconv.Atoi(firstText)
	last := first
	if err == nil && isRange {
		last, err = strconv.Atoi(lastText)
	}
	if err != nil || first < 1 || last < first || last > 65535 {
		return portFilter{}, errors.New("want PORT[/PROTO] or FIRST-LAST[/PROTO]")
	}
	return portFilter{first: first, last: last, proto: proto}, nil
}

func (p portFilter) match(port int, proto string) bool {
	return port >= p.first && port <= p.last && (p.proto == "" || p.proto == proto)
}

// matchPublished: c publishes one of the container's ports p names (-p,
// as Docker's HostConfig.PortBindings, running or not: the record has
// them while it runs, its settings always).
func (p portFilter) matchPublished(c Container, labels *LabelSource) bool {
	if slices.ContainsFunc(c.Ports, func(port Port) bool { return p.match(port.ContainerPort, port.Proto) }) {
		return true
	}
	if labels == nil {
		return false
	}
	s, err := ReadSettings(&config.Config{GraphRoot: labels.graphRoot}, c.State)
	return err == nil && slices.ContainsFunc(s.Ports, func(m network.PortMapping) bool { return p.match(m.ContainerPort, m.Proto) })
}

// matchExposed: c's image exposes, or c publishes, one of the ports p
// names.
func (p portFilter) matchExposed(c Container, labels *LabelSource) bool {
	if p.matchPublished(c, labels) {
		return true
	}
	if labels == nil {
		return false
	}
	img, err := local.Read(labels.graphRoot, c.ImageID)
	if err != nil {
		return false
	}
	for key := range img.Config.Config.ExposedPorts {
		portText, proto, _ := strings.Cut(key, "/")
		if proto == "" {
			proto = "tcp"
		}
		if n, err := strconv.Atoi(portText); err == nil && p.match(n, proto) {
			return true
		}
	}
	return false
}

// mountsVolume: c mounts the volume named v, or anything at the
// container path v, as Docker's volume filter.
func mountsVolume(c Container, v string) bool {
	return slices.ContainsFunc(c.Volumes, func(m spec.VolumeMount) bool { return m.Name == v || m.Destination == v })
}
