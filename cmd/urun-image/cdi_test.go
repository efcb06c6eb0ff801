//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/cdi"
)

const gpuSpec = `cdiVersion: 0.7.0
kind: nvidia.com/gpu
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void]
  deviceNodes:
  - path: /dev/nvidiactl
    hostPath: /dev/zero
  mounts:
  - hostPath: /dev/null
    containerPath: /usr/lib/libcuda.so.1
    options: [ro, bind]
  hooks:
  - hookName: createContainer
    path: /usr/bin/nvidia-ctk
    args: [nvidia-ctk, hook, update-ldcache]
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - path: /dev/nvidia0
      hostPath: /dev/null
- name: "1"
  containerEdits:
    deviceNodes:
    - path: /dev/full
      permissions: r
    additionalGids: [44]
`

func specDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644))
	}
	return dir
}

func TestCDIDevicesResolveToTheirSpecsEdits(t *testing.T) {
	dir := specDir(t, map[string]string{"nvidia.yaml": gpuSpec})
	got, err := resolveCDI([]string{"nvidia.com/gpu=0", "nvidia.com/gpu=1"}, []string{dir})
	require.NoError(t, err)
	spec := filepath.Join(dir, "nvidia.yaml")
	// The spec's own edits once, then each device's.
	assert.Equal(t, []cdi.DeviceNode{
		{Path: "/dev/nvidiactl", HostPath: "/dev/zero", Spec: spec},
		{Path: "/dev/nvidia0", HostPath: "/dev/null", Spec: spec},
		{Path: "/dev/full", HostPath: "/dev/full", Permissions: "r", Spec: spec},
	}, got.DeviceNodes)
	assert.Equal(t, []string{"NVIDIA_VISIBLE_DEVICES=void"}, got.Env)
	assert.Equal(t, []specs.Mount{{Source: "/dev/null", Destination: "/usr/lib/libcuda.so.1", Options: []string{"ro", "bind"}}}, got.Mounts)
	require.NotNil(t, got.Hooks)
	assert.Equal(t, []specs.Hook{{Path: "/usr/bin/nvidia-ctk", Args: []string{"nvidia-ctk", "hook", "update-ldcache"}}}, got.Hooks.CreateContainer)
	assert.Equal(t, []uint32{44}, got.AdditionalGIDs)
}

func TestAnUnknownCDIDeviceNamesTheKnownOnesAndTheDirectories(t *testing.T) {
	dir := specDir(t, map[string]string{"nvidia.yaml": gpuSpec})
	_, err := resolveCDI([]string{"nvidia.com/gpu=7"}, []string{dir, "/nonexistent"})
	require.Error(t, err)
	assert.Equal(t, "unknown CDI device nvidia.com/gpu=7: the devices defined in "+dir+", /nonexistent are nvidia.com/gpu=0, nvidia.com/gpu=1 (set URUN_CDI_SPEC_DIRS or cdi_spec_dirs in urun.conf for other directories)", err.Error())

	_, err = resolveCDI([]string{"nvidia.com/gpu=all"}, []string{t.TempDir()})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no CDI device is defined in")
	assert.Contains(t, err.Error(), "nvidia-ctk cdi generate")
}

func TestAMalformedCDISpecIsNamedWithItsProblem(t *testing.T) {
	dir := specDir(t, map[string]string{
		"nvidia.yaml":  gpuSpec,
		"broken.yaml":  "cdiVersion: 0.6.0\nkind: example.com/dev\ndevices:\n- name: x\n  containerEdits:\n    deviceNodes:\n    - hostPath: /dev/null\n",
		"notyaml.json": "{",
	})
	_, err := resolveCDI([]string{"example.com/dev=x"}, []string{dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "spec "+filepath.Join(dir, "broken.yaml")+": ")
	assert.Contains(t, err.Error(), "empty) device path")
	assert.Contains(t, err.Error(), "spec "+filepath.Join(dir, "notyaml.json")+": ")

	// Another vendor's broken spec does not stop a device that is fine.
	_, err = resolveCDI([]string{"nvidia.com/gpu=0"}, []string{dir})
	require.NoError(t, err)
}

func TestCDIEditsARootlessContainerCannotHaveAreRefused(t *testing.T) {
	dir := specDir(t, map[string]string{"net.yaml": "cdiVersion: 1.1.0\nkind: example.com/net\ndevices:\n- name: eth\n  containerEdits:\n    netDevices:\n    - hostInterfaceName: eth1\n      name: eth0\n"})
	_, err := resolveCDI([]string{"example.com/net=eth"}, []string{dir})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "netDevices")
}
