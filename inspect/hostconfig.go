package inspect

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	units "github.com/docker/go-units"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/network"
)

// hostConfig is Docker's HostConfig of the container: what was asked
// (Settings.Host, the name files' options, the restart policy, the
// limits), not what it became in the spec.
func hostConfig(c containers.Container, s containers.Settings) HostConfig {
	req := s.Host
	h := HostConfig{
		LogConfig:     LogConfig{Type: s.Log.DriverName(), Config: logConfig(s.Log)},
		NetworkMode:   networkMode(s.Network, req.NetworkMode),
		PortBindings:  map[string][]PortBinding{},
		RestartPolicy: RestartPolicy{Name: s.Restart.Name, MaximumRetryCount: s.Restart.MaxRetries},
		AutoRemove:    c.Remove,
		VolumesFrom:   req.VolumesFrom,
		CapAdd:        capabilities(req.CapAdd),
		CapDrop:       capabilities(req.CapDrop),
		// Docker's [] for none given.
		DNS:             orEmpty(s.Names.DNS),
		DNSOptions:      orEmpty(s.Names.DNSOptions),
		DNSSearch:       orEmpty(s.Names.DNSSearch),
		ExtraHosts:      s.Names.AddHosts,
		Links:           req.Links,
		Privileged:      req.Privileged,
		PublishAllPorts: req.PublishAll,
		ReadonlyRootfs:  req.ReadOnly,
		SecurityOpt:     req.SecurityOpt,
		Runtime:         "urun",
	}
	kernelConfig(&h, s.Kernel)
	h.Annotations = annotations(s.Spec.Annotations)
	h.CgroupParent = s.Cgroups.Parent
	if h.RestartPolicy.Name == "" {
		h.RestartPolicy.Name = containers.RestartNo
	}
	if s.Init {
		h.Init = &s.Init
	}
	resources(&h, s)
	h.Devices, h.DeviceRequests = devicesAsked(req)
	for _, p := range s.Ports {
		hostPort := ""
		switch {
		case p.HostPortEnd > 0:
			hostPort = fmt.Sprintf("%d-%d", p.HostPort, p.HostPortEnd)
		case p.HostPort > 0:
			hostPort = strconv.Itoa(p.HostPort)
		}
		key := strconv.Itoa(p.ContainerPort) + "/" + p.Proto
		h.PortBindings[key] = append(h.PortBindings[key], PortBinding{HostIP: p.HostIP, HostPort: hostPort})
	}
	for _, m := range userMounts(withoutCDIMounts(s.Spec.Mounts, req), req.Devices) {
		switch m.Type {
		case "bind":
			bind := m.Source + ":" + m.Destination
			if v, ok := volumeAt(c.Volumes, m.Destination); ok {
				if v.Anonymous {
					continue // Docker lists the -v NAME:DIR ones
				}
				bind = v.Name + ":" + m.Destination
			}
			if slices.Contains(m.Options, "ro") {
				bind += ":ro"
			}
			h.Binds = append(h.Binds, bind)
		case "tmpfs":
			if h.Tmpfs == nil {
				h.Tmpfs = map[string]string{}
			}
			h.Tmpfs[m.Destination] = strings.Join(m.Options, ",")
		}
	}
	return h
}

// networkMode is Docker's NetworkMode: the network's name ("bridge" for
// urun's default network), host, none, container:NAME, or urun's own
// slirp4netns and pasta.
func networkMode(m network.Mode, asked string) string {
	switch m.Kind {
	case network.KindNetworks:
		if len(m.Networks) > 0 {
			return m.Networks[0].Name
		}
	case network.KindContainer:
		return "container:" + m.Container
	}
	if asked != "" && m.Kind != network.KindNetworks {
		return asked
	}
	return m.Kind
}

// capabilities are --cap-add or --cap-drop values as Docker keeps them:
// CAP_NET_ADMIN, or ALL.
func capabilities(caps []string) []string {
	var out []string
	for _, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		out = append(out, c)
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// resources are the limit flags in Docker's units: bytes, nano CPUs.
func resources(h *HostConfig, s containers.Settings) {
	r := s.Resources
	size := func(v string) int64 {
		switch v {
		case "":
			return 0
		case "-1":
			return -1
		}
		n, _ := units.RAMInBytes(v)
		return n
	}
	h.Memory, h.MemoryReservation, h.MemorySwap = size(r.Memory), size(r.MemoryReservation), size(r.MemorySwap)
	if cpus, err := strconv.ParseFloat(r.CPUs, 64); err == nil {
		h.NanoCPUs = int64(cpus * 1e9)
	}
	h.CPUShares, h.CPUPeriod, h.CPUQuota = r.CPUShares, r.CPUPeriod, r.CPUQuota
	h.CpusetCpus, h.CpusetMems, h.BlkioWeight = r.CpusetCPUs, r.CpusetMems, r.BlkioWeight
	if r.PidsLimit != 0 {
		limit := r.PidsLimit
		h.PidsLimit = &limit
	}
}

// deviceMapping is a --device value HOST[:CONTAINER[:PERMISSIONS]] in
// Docker's shape.
func deviceMapping(v string) DeviceMapping {
	parts := strings.SplitN(v, ":", 3)
	d := DeviceMapping{PathOnHost: parts[0], PathInContainer: parts[0], CgroupPermissions: "rwm"}
	if len(parts) > 1 && parts[1] != "" {
		d.PathInContainer = parts[1]
	}
	if len(parts) > 2 && parts[2] != "" {
		d.CgroupPermissions = parts[2]
	}
	// HOST:PERMISSIONS is allowed too.
	if len(parts) == 2 && strings.Trim(parts[1], "rwm") == "" {
		d.PathInContainer, d.CgroupPermissions = parts[0], parts[1]
	}
	return d
}
