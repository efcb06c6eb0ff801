package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDeviceAndGPUsFlagsAskForCDIDevices(t *testing.T) {
	tests := []struct {
		name    string
		devices []string
		gpus    []string
		names   []string
		env     []string
		host    []string
	}{
		{name: "host devices only", devices: []string{"/dev/fuse", "/dev/null:/dev/n:r"}, host: []string{"/dev/fuse", "/dev/null:/dev/n:r"}},
		{name: "a CDI device beside a host device", devices: []string{"nvidia.com/gpu=0", "/dev/fuse"}, names: []string{"nvidia.com/gpu=0"}, host: []string{"/dev/fuse"}},
		{name: "--gpus all", gpus: []string{"all"}, names: []string{"nvidia.com/gpu=all"}},
		{name: "--gpus 2", gpus: []string{"2"}, names: []string{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}},
		{name: "the same GPU asked twice is added once", devices: []string{"nvidia.com/gpu=0"}, gpus: []string{"device=0"}, names: []string{"nvidia.com/gpu=0"}},
		{name: "--gpus capabilities", gpus: []string{`all,"capabilities=compute,utility"`}, names: []string{"nvidia.com/gpu=all"}, env: []string{"NVIDIA_DRIVER_CAPABILITIES=compute,utility"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &runFlags{devices: tt.devices, gpus: tt.gpus}
			names, env, err := f.cdiDevices()
			require.NoError(t, err)
			assert.Equal(t, tt.names, names)
			assert.Equal(t, tt.env, env)
			assert.Equal(t, tt.host, hostDevices(tt.devices))
		})
	}
}

func TestAMalformedCDINameOrGPURequestIsRefused(t *testing.T) {
	for _, f := range []*runFlags{
		{devices: []string{"nvidia.com/gpu=a b"}},
		{gpus: []string{"none"}},
		{gpus: []string{"driver=amd,all"}},
	} {
		_, _, err := f.cdiDevices()
		assert.Error(t, err, "%v %v", f.devices, f.gpus)
	}
}
