package inspect

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
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
			Devices: []string{"/dev/null:/dev/nothing"}, PidMode: "host", UTSMode: "host", LogDriver: "json-file",
			LogOptions: map[string]string{"max-size": "1m"}, SecurityOpt: []string{"seccomp=unconfined"}},
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
	assert.Equal(t, LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m"}}, h.LogConfig)
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
