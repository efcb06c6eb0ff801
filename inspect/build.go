package inspect

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/logs"
	"github.com/urun/urun/network"
	"github.com/urun/urun/spec"
)

// Build makes the document of container c.
func Build(cfg *config.Config, c containers.Container, labels *containers.LabelSource) (Container, error) {
	s, err := settings(cfg, c)
	if err != nil {
		return Container{}, err
	}
	p := s.Spec.Process
	d := Container{
		ID:             c.ID,
		Created:        timeText(c.Created),
		State:          state(c),
		Image:          imageID(c.ImageID),
		ResolvConfPath: containers.EtcFilePath(c.Dir, "resolv.conf"),
		HostnamePath:   containers.EtcFilePath(c.Dir, "hostname"),
		HostsPath:      containers.EtcFilePath(c.Dir, "hosts"),
		Name:           "/" + c.Name,
		RestartCount:   c.RestartCount,
		Driver:         "overlay",
		Platform:       "linux",
		HostConfig:     hostConfig(c, s),
		Mounts:         mounts(withoutCDIMounts(s.Spec.Mounts, s.Host), c.Volumes, s.Host.Devices),
		Config: imagedoc.Config{
			Hostname: s.Spec.Hostname, Domainname: s.Kernel.Domainname, User: p.User.Username,
			AttachStdin: s.Interactive && !c.Detached, AttachStdout: !c.Detached, AttachStderr: !c.Detached,
			Tty: p.Terminal, OpenStdin: s.Interactive, StdinOnce: s.Interactive && !c.Detached,
			Env: p.Env, Image: c.Image, WorkingDir: p.Cwd, Labels: labels.Of(c), StopSignal: s.StopSignal,
			ExposedPorts: s.ExposedPorts,
		},
		NetworkSettings: networkSettings(c),
	}
	if d.Config.Labels == nil {
		d.Config.Labels = map[string]string{} // Docker's {} for none
	}
	if len(p.Args) > 0 {
		d.Path, d.Args = p.Args[0], p.Args[1:]
	}
	// The entrypoint and the command are told apart when the container's
	// settings recorded them; else the whole command line is Cmd.
	d.Config.Entrypoint, d.Config.Cmd = s.Entrypoint, s.Cmd
	if s.Entrypoint == nil && s.Cmd == nil {
		d.Config.Cmd = p.Args
	}
	if s.StopTimeout >= 0 {
		d.Config.StopTimeout = &s.StopTimeout
	}
	addHealth(&d, c, s)
	// A foreground --rm container keeps no log (see launch/logsink.go).
	if s.Log.KeepsFile() && (c.Detached || !c.Remove) {
		d.LogPath = containers.LogPath(cfg, c.State)
	}
	for _, port := range c.PublishedPorts() {
		ip := port.HostIP
		if ip == "" {
			ip = "0.0.0.0"
		}
		d.NetworkSettings.Ports[port.Key()] = append(d.NetworkSettings.Ports[port.Key()], PortBinding{HostIP: ip, HostPort: strconv.Itoa(port.HostPort)})
	}
	return d, nil
}

// settings are the container's settings: those kept beside its writable
// layer, or for a container run in the foreground with --rm, which keeps
// none, what its run state's config.json tells.
func settings(cfg *config.Config, c containers.Container) (containers.Settings, error) {
	s, err := containers.ReadSettings(cfg, c.State)
	if err == nil {
		return s, nil
	}
	data, cerr := os.ReadFile(containers.RunConfigPath(c.Dir))
	var cc spec.Container
	if cerr != nil || json.Unmarshal(data, &cc) != nil || cc.Spec == nil || cc.Spec.Process == nil {
		return s, fmt.Errorf("inspect container %s: %w", c.Name, err)
	}
	// The run state's own files (/etc/hosts...) are not the user's mounts.
	own := func(m specs.Mount) bool { return strings.HasPrefix(m.Source, c.Dir+"/") }
	cc.Spec.Mounts = slices.DeleteFunc(slices.Clone(cc.Spec.Mounts), own)
	// Which network an own namespace was given is not in the spec.
	var mode network.Mode
	if cc.Spec.Linux != nil && !slices.ContainsFunc(cc.Spec.Linux.Namespaces, func(ns specs.LinuxNamespace) bool {
		return ns.Type == specs.NetworkNamespace
	}) {
		mode.Kind = network.KindHost
	}
	return containers.Settings{Spec: cc.Spec, Network: mode, StopTimeout: -1}, nil
}

// zeroTime is how Docker shows a time that never was.
const zeroTime = "0001-01-01T00:00:00Z"

func timeText(t time.Time) string {
	if t.IsZero() {
		return zeroTime
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// imageID is the image id in Docker's "sha256:…" form.
func imageID(id string) string {
	if id == "" || strings.HasPrefix(id, "sha256:") {
		return id
	}
	return "sha256:" + id
}

func state(c containers.Container) State {
	name := c.StateName()
	st := State{
		Status:     name,
		Running:    name == "running" || name == "paused" || name == "restarting",
		Paused:     name == "paused",
		Restarting: name == "restarting",
		OOMKilled:  c.OOMKilled,
		ExitCode:   c.ExitStatus(),
		Error:      c.Error,
		StartedAt:  timeText(c.StartedAt),
		FinishedAt: timeText(c.FinishedAt),
	}
	if name == "running" || name == "paused" {
		// As Docker's: a running container has no exit code yet.
		st.ExitCode = 0
		if pid, err := containers.InitPID(c.Dir); err == nil {
			st.Pid = pid
		}
	}
	return st
}

// logConfig shows the --log-opt values as Docker keeps them.
func logConfig(o logs.Options) map[string]string {
	out := map[string]string{}
	if o.MaxSize > 0 {
		out["max-size"] = sizeText(o.MaxSize)
	}
	if o.MaxFiles > 1 {
		out["max-file"] = strconv.Itoa(o.MaxFiles)
	}
	for key, value := range map[string]string{
		"tag": o.Tag, "labels": strings.Join(o.Labels, ","), "labels-regex": o.LabelsRegex,
		"env": strings.Join(o.Env, ","), "env-regex": o.EnvRegex,
	} {
		if value != "" {
			out[key] = value
		}
	}
	return out
}

// sizeText writes a size as --log-opt max-size takes it, in the largest
// binary unit that divides it.
func sizeText(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"g", 1 << 30}, {"m", 1 << 20}, {"k", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// userMounts are the mounts the user asked for: the spec's others are
// the ones every container gets, and the --device ones (devices), which
// Docker shows as HostConfig.Devices only.
func userMounts(all []specs.Mount, devices []string) []specs.Mount {
	defaults := append(spec.DefaultMounts(false), spec.DefaultMounts(true)...)
	var out []specs.Mount
	for _, m := range all {
		isDefault := slices.ContainsFunc(defaults, func(d specs.Mount) bool {
			return d.Destination == m.Destination && d.Type == m.Type && d.Source == m.Source && slices.Equal(d.Options, m.Options)
		})
		isDevice := slices.ContainsFunc(devices, func(v string) bool {
			d := deviceMapping(v)
			return d.PathOnHost == m.Source && d.PathInContainer == m.Destination
		})
		if !isDefault && !isDevice {
			out = append(out, m)
		}
	}
	return out
}

// volumeAt is the volume mounted at dest, if one is.
func volumeAt(vols []spec.VolumeMount, dest string) (spec.VolumeMount, bool) {
	for _, v := range vols {
		if v.Destination == dest && v.Name != "" {
			return v, true
		}
	}
	return spec.VolumeMount{}, false
}

func mounts(all []specs.Mount, vols []spec.VolumeMount, devices []string) []Mount {
	out := []Mount{}
	for _, m := range userMounts(all, devices) {
		mt := Mount{Type: m.Type, Destination: m.Destination, RW: !slices.Contains(m.Options, "ro")}
		if !mt.RW {
			mt.Mode = "ro"
		}
		if v, ok := volumeAt(vols, m.Destination); ok {
			mt.Type, mt.Name, mt.Driver, mt.Source = "volume", v.Name, "local", m.Source
			out = append(out, mt)
			continue
		}
		if m.Type == "bind" {
			mt.Source, mt.Propagation = m.Source, "rprivate"
			for _, o := range m.Options {
				if strings.HasSuffix(o, "private") || strings.HasSuffix(o, "shared") || strings.HasSuffix(o, "slave") {
					mt.Propagation = o
				}
			}
		}
		out = append(out, mt)
	}
	return out
}

// networkSettings are the container's endpoints while it runs.
func networkSettings(c containers.Container) NetworkSettings {
	ns := NetworkSettings{Ports: map[string][]PortBinding{}, Networks: map[string]EndpointSettings{}}
	for _, e := range c.ConnectedNetworks() {
		dnsNames := append([]string{c.Name}, e.Aliases...)
		ns.Networks[e.Network] = EndpointSettings{
			Aliases: e.Aliases, DNSNames: append(dnsNames, containers.ShortID(c.ID)),
			MacAddress: e.MacAddress, NetworkID: e.NetworkID, EndpointID: e.EndpointID,
			Gateway: e.Gateway, IPAddress: e.IPAddress, IPPrefixLen: e.IPPrefixLen,
			IPv6Gateway: e.IPv6Gateway, GlobalIPv6Address: e.GlobalIPv6Address, GlobalIPv6PrefixLen: e.GlobalIPv6PrefixLen,
		}
		if e.Network == network.DefaultNetwork {
			ns.Gateway, ns.IPAddress, ns.IPPrefixLen, ns.MacAddress = e.Gateway, e.IPAddress, e.IPPrefixLen, e.MacAddress
		}
	}
	return ns
}
