package cdi

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGPUsFlagFollowsDockersGrammar(t *testing.T) {
	gpu := [][]string{{"gpu"}}
	none := map[string]string{}
	tests := []struct {
		name  string
		value string
		want  GPURequest
		names []string
	}{
		{"all of them", "all", GPURequest{Count: -1, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=all"}},
		{"a count", "2", GPURequest{Count: 2, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}},
		{"count as a key", "count=all", GPURequest{Count: -1, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=all"}},
		{"one device by index", "device=1", GPURequest{DeviceIDs: []string{"1"}, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=1"}},
		{"a quoted list of devices", `"device=0,GPU-3a4b"`, GPURequest{DeviceIDs: []string{"0", "GPU-3a4b"}, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=0", "nvidia.com/gpu=GPU-3a4b"}},
		{"capabilities alone is one GPU", `"capabilities=compute,utility"`, GPURequest{Count: 1, Capabilities: [][]string{{"compute", "utility", "gpu"}}, Options: none}, []string{"nvidia.com/gpu=0"}},
		{"the nvidia driver named", "driver=nvidia,all", GPURequest{Driver: "nvidia", Count: -1, Capabilities: gpu, Options: none}, []string{"nvidia.com/gpu=all"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseGPUs(tt.value)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			names, err := got.DeviceNames()
			require.NoError(t, err)
			assert.Equal(t, tt.names, names)
		})
	}
}

func TestGPUsFlagRefusesWhatItCannotMap(t *testing.T) {
	tests := []struct {
		name, value, wantErr string
	}{
		{"no count", "0", "from 1"},
		{"a word", "some", "want all or a number"},
		{"an unknown key", "memory=4g", `unknown key "memory"`},
		{"a key twice", "count=1,count=2", "count given twice"},
		{"a count and devices", `count=1,"device=0"`, "not both"},
		{"an unquoted list", "device=0,1", `quote a list of devices: '"device=0,1"'`},
		{"an empty device", `"device=0,"`, "empty device id"},
		{"bad quoting", `"device=0`, "want all, a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseGPUs(tt.value)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "--gpus")
		})
	}
}

func TestGPUsOfAnotherDriverOrWithOptionsAreRefused(t *testing.T) {
	for _, value := range []string{"driver=amd,all", `all,"options=a=b"`} {
		req, err := ParseGPUs(value)
		require.NoError(t, err)
		_, err = req.DeviceNames()
		require.Error(t, err, value)
	}
}

func TestGPUsCapabilitiesBecomeNvidiaDriverCapabilities(t *testing.T) {
	req, err := ParseGPUs(`all,"capabilities=compute,utility"`)
	require.NoError(t, err)
	assert.Equal(t, "compute,utility", req.DriverCapabilities())
	req, err = ParseGPUs("all")
	require.NoError(t, err)
	assert.Empty(t, req.DriverCapabilities())
}

func TestDeviceValuesNameCDIDevicesOrHostPaths(t *testing.T) {
	for v, isCDI := range map[string]bool{
		"nvidia.com/gpu=0": true, "example.com/dev=all": true, "vendor.io/class=name": true,
		"/dev/fuse": false, "/dev/a=b": false, "/dev/fuse:/dev/f:rw": false, "gpu": false, "nvidia.com/gpu": false,
	} {
		assert.Equal(t, isCDI, LooksLikeDeviceName(v), v)
	}
	require.NoError(t, CheckDeviceName("nvidia.com/gpu=0"))
	require.Error(t, CheckDeviceName("nvidia.com/gpu=bad name"))
}

func TestSpecDirsComeFromTheEnvironmentThenTheConfiguration(t *testing.T) {
	assert.Equal(t, DefaultSpecDirs, SpecDirs(nil))
	assert.Equal(t, []string{"/site/cdi"}, SpecDirs([]string{"/site/cdi"}))
	t.Setenv(SpecDirsEnv, "/a:/b/:")
	assert.Equal(t, []string{"/a", "/b"}, SpecDirs([]string{"/site/cdi"}))
}
