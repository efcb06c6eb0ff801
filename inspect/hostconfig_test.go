package inspect

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/logs"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/spec"
)

func TestHostConfigShowsWhatWasAskedInDockersUnits(t *testing.T) {
	s := containers.Settings{
		Spec: &specs.Spec{Mounts: []specs.Mount{
			{Destination: "/dev/nothing", Type: "bind", Source: "/dev/null", Options: []string{"rbind"}},
			{Destination: "/src", Type: "bind", Source: "/home/u/src", Options: []string{"rbind", "ro"}},
		}},
		Network: network.Mode{Kind: network.KindNetworks, Networks: []network.Attachment{{Name: "appnet"}}},
		Names:   namefiles.Options{DNS: []string{"192.0.2.53"}, AddHosts: []string{"db:192.0.2.7"}},
		Resources: cgroupv2.Flags{Memory: "64m", MemorySwap: "-1", CPUs: "1.5", PidsLimit: 50, CPUShares: 512,
			CpusetCPUs: "0-1", BlkioWeight: 300},
		Host: containers.HostRequest{CapAdd: []string{"net_admin", "ALL"}, CapDrop: []string{"CAP_MKNOD"},
			Devices: []string{"/dev/null:/dev/nothing"}, SecurityOpt: []string{"seccomp=unconfined"}},
		Log: logs.Options{Driver: "json-file", MaxSize: 1 << 20, Tag: "{{.Name}}"},
		Kernel: spec.Kernel{PID: "host", UTS: "host", Ulimits: []string{"nofile=100:200", "core=-1"},
			Sysctls: []string{"net.ipv4.ip_forward=1"}, GroupAdd: []string{"wheel"}},
		Cgroups: cgroupv2.Options{Parent: "jobs.slice"},
	}
	h := hostConfig(containers.Container{}, s)
	assert.Equal(t, []string{"CAP_NET_ADMIN", "ALL"}, h.CapAdd)
	assert.Equal(t, []string{"CAP_MKNOD"}, h.CapDrop)
	assert.Equal(t, "appnet", h.NetworkMode)
	assert.Equal(t, []string{"192.0.2.53"}, h.DNS)
	assert.Equal(t, []string{}, h.DNSSearch, "Docker's [] for none")
	assert.Equal(t, []string{"db:192.0.2.7"}, h.ExtraHosts)
	assert.Equal(t, int64(64<<20), h.Memory)
	assert.Equal(t, int64(-1), h.MemorySwap)
	assert.Equal(t, int64(1_500_000_000), h.NanoCPUs)
	assert.Equal(t, int64(50), *h.PidsLimit)
	assert.Equal(t, int64(512), h.CPUShares)
	assert.Equal(t, "0-1", h.CpusetCpus)
	assert.Equal(t, uint16(300), h.BlkioWeight)
	assert.Equal(t, []DeviceMapping{{"/dev/null", "/dev/nothing", "rwm"}}, h.Devices)
	assert.Equal(t, []string{"/home/u/src:/src:ro"}, h.Binds, "a device is no bind")
	assert.Equal(t, "host", h.PidMode)
	assert.Equal(t, "host", h.UTSMode)
	assert.Equal(t, "private", h.IpcMode, "Docker's default")
	assert.Equal(t, LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "tag": "{{.Name}}"}}, h.LogConfig)
	assert.Equal(t, []Ulimit{{Name: "nofile", Soft: 100, Hard: 200}, {Name: "core", Soft: -1, Hard: -1}}, h.Ulimits)
	assert.Equal(t, map[string]string{"net.ipv4.ip_forward": "1"}, h.Sysctls)
	assert.Equal(t, []string{"wheel"}, h.GroupAdd)
	assert.Equal(t, int64(64<<20), h.ShmSize, "Docker's default")
	assert.Equal(t, "jobs.slice", h.CgroupParent)
	assert.Equal(t, []string{"seccomp=unconfined"}, h.SecurityOpt)
}

func TestDeviceValuesBecomeDockersMappings(t *testing.T) {
	for v, want := range map[string]DeviceMapping{
		"/dev/fuse":             {"/dev/fuse", "/dev/fuse", "rwm"},
		"/dev/fuse:r":           {"/dev/fuse", "/dev/fuse", "r"},
		"/dev/sda:/dev/xvda":    {"/dev/sda", "/dev/xvda", "rwm"},
		"/dev/sda:/dev/xvda:rw": {"/dev/sda", "/dev/xvda", "rw"},
	} {
		assert.Equal(t, want, deviceMapping(v), v)
	}
}
