package inspect

import (
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/cdi"
	"github.com/urun/urun/containers"
)

// DeviceRequest is Docker's: a --gpus value, or CDI devices named by
// --device (Driver "cdi", the names in DeviceIDs).
type DeviceRequest struct {
	Driver       string
	Count        int
	DeviceIDs    []string
	Capabilities [][]string
	Options      map[string]string
}

// devicesAsked are HostConfig's Devices (the --device host paths) and
// DeviceRequests (the CDI names, then each --gpus), as Docker shows them.
func devicesAsked(req containers.HostRequest) ([]DeviceMapping, []DeviceRequest) {
	var mappings []DeviceMapping
	var names []string
	for _, d := range req.Devices {
		if cdi.LooksLikeDeviceName(d) {
			names = append(names, d)
			continue
		}
		mappings = append(mappings, deviceMapping(d))
	}
	var requests []DeviceRequest
	if len(names) > 0 {
		requests = append(requests, DeviceRequest{Driver: "cdi", DeviceIDs: names})
	}
	for _, g := range req.GPUs {
		// urun ran the container, so the value parses.
		r, _ := cdi.ParseGPUs(g)
		requests = append(requests, DeviceRequest{Driver: r.Driver, Count: r.Count, DeviceIDs: r.DeviceIDs, Capabilities: r.Capabilities, Options: r.Options})
	}
	return mappings, requests
}

// withoutCDIMounts leaves out the mounts the CDI devices' specs made:
// Docker shows neither them nor the device nodes among Binds or Mounts.
func withoutCDIMounts(all []specs.Mount, req containers.HostRequest) []specs.Mount {
	if len(req.CDIMounts) == 0 {
		return all
	}
	return slices.DeleteFunc(slices.Clone(all), func(m specs.Mount) bool {
		return slices.Contains(req.CDIMounts, m.Destination)
	})
}
