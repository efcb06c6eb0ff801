package inspect

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/containers"
)

func TestInspectShowsCDIDevicesAndGPUsAsDockersDeviceRequests(t *testing.T) {
	s := containers.Settings{
		Spec: &specs.Spec{Mounts: []specs.Mount{
			{Destination: "/dev/nvidia0", Type: "bind", Source: "/dev/nvidia0", Options: []string{"bind"}},
			{Destination: "/usr/lib/libcuda.so.1", Type: "bind", Source: "/usr/lib/libcuda.so.1", Options: []string{"bind", "ro"}},
			{Destination: "/src", Type: "bind", Source: "/home/u/src", Options: []string{"rbind"}},
		}},
		Host: containers.HostRequest{
			Devices:   []string{"nvidia.com/gpu=0", "/dev/fuse", "example.com/dev=a"},
			GPUs:      []string{"all", `"device=0,1"`},
			CDIMounts: []string{"/dev/nvidia0", "/usr/lib/libcuda.so.1"},
		},
	}
	h := hostConfig(containers.Container{}, s)
	assert.Equal(t, []DeviceMapping{{"/dev/fuse", "/dev/fuse", "rwm"}}, h.Devices)
	assert.Equal(t, []DeviceRequest{
		{Driver: "cdi", DeviceIDs: []string{"nvidia.com/gpu=0", "example.com/dev=a"}},
		{Count: -1, Capabilities: [][]string{{"gpu"}}, Options: map[string]string{}},
		{DeviceIDs: []string{"0", "1"}, Capabilities: [][]string{{"gpu"}}, Options: map[string]string{}},
	}, h.DeviceRequests)
	assert.Equal(t, []string{"/home/u/src:/src"}, h.Binds, "the CDI specs' mounts are no binds")
}
