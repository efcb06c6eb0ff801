package main

import (
	"strconv"

	"github.com/urun/urun/config"
	"github.com/urun/urun/netdef"
	"github.com/urun/urun/usernet"
)

// networkEndpoints lists the running containers' attachments to networks:
// what makes a network in use, and inspect's Containers.
func networkEndpoints(cfg *config.Config) ([]netdef.Endpoint, error) {
	eps, err := usernet.Endpoints(cfg)
	if err != nil {
		return nil, err
	}
	var out []netdef.Endpoint
	for _, e := range eps {
		out = append(out, netdef.Endpoint{
			Network: e.Network, ContainerID: e.ContainerID, ContainerName: e.ContainerName,
			EndpointID: e.EndpointID, MacAddress: e.MAC,
			IPv4Address: e.IP.String() + "/" + strconv.Itoa(e.PrefixLen),
		})
		if e.IP6.IsValid() {
			out[len(out)-1].IPv6Address = e.IP6.String() + "/" + strconv.Itoa(e.PrefixLen6)
		}
	}
	return out, nil
}
