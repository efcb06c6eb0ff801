package cdi

import (
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCDIEditsBecomeUrunsMountsEnvironmentHooksAndGroups(t *testing.T) {
	lib := filepath.Join(t.TempDir(), "libcuda.so.1")
	require.NoError(t, os.WriteFile(lib, []byte("lib"), 0o644))
	hook := executable(t)
	edits := Edits{
		Devices: []string{"nvidia.com/gpu=0"},
		Env:     []string{"NVIDIA_VISIBLE_DEVICES=void"},
		DeviceNodes: []DeviceNode{
			{Path: "/dev/nvidia0", HostPath: "/dev/null"},
			{Path: "/dev/nvidiactl", HostPath: "/dev/zero", Permissions: "r"},
		},
		Mounts: []specs.Mount{
			{Source: lib, Destination: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", Options: []string{"ro", "nosuid", "nodev", "bind"}},
			{Source: filepath.Dir(lib), Destination: "/opt/lib", Options: []string{"ro"}},
			{Source: "tmpfs", Destination: "/run/nvidia", Type: "tmpfs", Options: []string{"size=1m"}},
		},
		Hooks: &specs.Hooks{
			CreateContainer: []specs.Hook{{Path: hook, Args: []string{"nvidia-ctk", "hook", "update-ldcache"}}},
			StartContainer:  []specs.Hook{{Path: "/usr/bin/in-the-container"}},
		},
		AdditionalGIDs: []uint32{44},
	}
	got, err := edits.Translate()
	require.NoError(t, err)
	assert.Equal(t, []specs.Mount{
		{Destination: "/dev/nvidia0", Type: "bind", Source: "/dev/null", Options: []string{"bind", "nosuid", "noexec"}},
		{Destination: "/dev/nvidiactl", Type: "bind", Source: "/dev/zero", Options: []string{"bind", "nosuid", "noexec", "ro"}},
		{Destination: "/usr/lib/x86_64-linux-gnu/libcuda.so.1", Type: "bind", Source: lib, Options: []string{"ro", "nosuid", "nodev", "bind"}},
		{Destination: "/opt/lib", Type: "bind", Source: filepath.Dir(lib), Options: []string{"rbind", "ro"}},
		{Destination: "/run/nvidia", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=1m"}},
	}, got.Mounts)
	assert.Equal(t, []string{"NVIDIA_VISIBLE_DEVICES=void"}, got.Env)
	assert.Equal(t, edits.Hooks, got.Hooks)
	assert.Equal(t, []string{"44"}, got.GroupAdd)
}

func TestCDIEditsUrunCannotApplyAreRefusedWithTheReason(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	notExecutable := filepath.Join(t.TempDir(), "plain")
	require.NoError(t, os.WriteFile(notExecutable, nil, 0o644))
	tests := []struct {
		name    string
		edits   Edits
		wantErr string
	}{
		{"a device node that is no device", Edits{DeviceNodes: []DeviceNode{{Path: "/dev/x", HostPath: notExecutable, Spec: "/etc/cdi/x.yaml"}}},
			"CDI device node /dev/x (spec /etc/cdi/x.yaml): " + notExecutable + " is not a device"},
		{"a device node outside /dev", Edits{DeviceNodes: []DeviceNode{{Path: "/opt/x", HostPath: "/dev/null"}}}, "must be below /dev"},
		{"a missing library", Edits{Mounts: []specs.Mount{{Source: missing, Destination: "/usr/lib/x"}}}, "CDI mount of " + missing + " on /usr/lib/x"},
		{"a relative container path", Edits{Mounts: []specs.Mount{{Source: "/", Destination: "x"}}}, "is not absolute"},
		{"a poststop hook", Edits{Hooks: &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}}}},
			"CDI hook /bin/true (poststop): urun runs prestart, createRuntime, createContainer and startContainer hooks only"},
		{"a poststart hook", Edits{Hooks: &specs.Hooks{Poststart: []specs.Hook{{Path: "/bin/true"}}}}, "(poststart)"},
		{"a missing hook", Edits{Hooks: &specs.Hooks{CreateContainer: []specs.Hook{{Path: missing}}}}, "CDI hook " + missing},
		{"a hook that is no program", Edits{Hooks: &specs.Hooks{CreateRuntime: []specs.Hook{{Path: notExecutable}}}}, "is not an executable file"},
		{"a relative startContainer hook", Edits{Hooks: &specs.Hooks{StartContainer: []specs.Hook{{Path: "hook"}}}}, "must be absolute"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.edits.Translate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func executable(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755))
	return p
}
