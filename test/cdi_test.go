package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cdiHost is a host's CDI set-up made of stand-ins, as there is no GPU
// here: specs of NVIDIA's kind (nvidia.com/gpu, as nvidia-ctk writes
// them) and of example.com/dev, naming devices the user can open
// (/dev/null, /dev/full and /dev/zero bound as /dev/nvidia0, /dev/nvidia1
// and /dev/nvidiactl), a library file, environment variables and hooks.
type cdiHost struct {
	specDir string
	lib     string
	// created is written by the createContainer hook, on the host.
	created string
}

func newCDIHost(t *testing.T, dir string) cdiHost {
	t.Helper()
	h := cdiHost{
		specDir: filepath.Join(dir, "cdi"),
		lib:     filepath.Join(dir, "libcuda.so.1"),
		created: filepath.Join(dir, "created"),
	}
	require.NoError(t, os.MkdirAll(h.specDir, 0o755))
	require.NoError(t, os.WriteFile(h.lib, []byte("stand-in libcuda\n"), 0o644))
	// Like nvidia-ctk's update-ldcache: it finds the rootfs through the
	// state's bundle and writes into it, and leaves a marker on the host.
	hook := filepath.Join(dir, "update-ldcache")
	require.NoError(t, os.WriteFile(hook, []byte(`#!/bin/sh
state=$(cat)
bundle=$(echo "$state" | sed 's/.*"bundle":"\([^"]*\)".*/\1/')
root=$(sed 's/.*"root":{"path":"\([^"]*\)".*/\1/' "$bundle/config.json")
echo "cache for $1 by $HOOK_NAME" > "$root/etc/ld.so.cache.urun-test"
echo "$state" > "$MARKER"
`), 0o755))
	gpus := fmt.Sprintf(`cdiVersion: 0.6.0
kind: nvidia.com/gpu
devices:
- name: "0"
  containerEdits:
    deviceNodes:
    - {path: /dev/nvidia0, hostPath: /dev/null}
- name: "1"
  containerEdits:
    deviceNodes:
    - {path: /dev/nvidia1, hostPath: /dev/full}
- name: all
  containerEdits:
    deviceNodes:
    - {path: /dev/nvidia0, hostPath: /dev/null}
    - {path: /dev/nvidia1, hostPath: /dev/full}
containerEdits:
  env: [NVIDIA_VISIBLE_DEVICES=void, CUDA_STANDIN=yes]
  deviceNodes:
  - {path: /dev/nvidiactl, hostPath: /dev/zero}
  mounts:
  - {hostPath: %s, containerPath: /usr/lib/x86_64-linux-gnu/libcuda.so.1, options: [ro, nosuid, nodev, bind]}
  hooks:
  - hookName: createContainer
    path: %s
    args: [nvidia-ctk, /usr/lib/x86_64-linux-gnu]
    env: [HOOK_NAME=update-ldcache, MARKER=%s]
  - hookName: startContainer
    path: /bin/sh
    args: [sh, -c, 'cat > /tmp/started']
`, h.lib, hook, h.created)
	example := fmt.Sprintf(`{"cdiVersion": "0.6.0", "kind": "example.com/dev",
 "devices": [{"name": "a", "containerEdits": {"env": ["EXAMPLE=a"], "deviceNodes": [{"path": "/dev/example-a", "hostPath": "/dev/null", "permissions": "r"}],
   "mounts": [{"hostPath": %q, "containerPath": "/opt/example", "options": ["ro", "rbind"]}]}}]}`, dir)
	require.NoError(t, os.WriteFile(filepath.Join(h.specDir, "nvidia.yaml"), []byte(gpus), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(h.specDir, "example.json"), []byte(example), 0o644))
	return h
}

// cdiEnv is a store whose urun reads CDI specs from the stand-in host's
// directory ($URUN_CDI_SPEC_DIRS).
func cdiEnv(t *testing.T) (*env, cdiHost) {
	e := containerEnv(t)
	h := newCDIHost(t, e.dir)
	e.vars = append(e.vars, "URUN_CDI_SPEC_DIRS="+h.specDir)
	return e, h
}

func TestRunWithCDIDevicesGetsTheirSpecsEdits(t *testing.T) {
	e, _ := cdiEnv(t)
	show := "ls -l /dev/nvidia0 /dev/nvidia1 /dev/nvidiactl /dev/example-a 2>&1; cat /usr/lib/x86_64-linux-gnu/libcuda.so.1 2>&1; env | grep -E '^(NVIDIA|CUDA|EXAMPLE)' | sort"
	for _, tt := range []struct {
		name  string
		flags []string
		want  []string // lines the container shows
		not   []string // what it must not show
	}{
		{"one GPU by its CDI name", []string{"--device", "nvidia.com/gpu=0"},
			[]string{"/dev/nvidia0", "/dev/nvidiactl", "stand-in libcuda", "NVIDIA_VISIBLE_DEVICES=void", "CUDA_STANDIN=yes"}, []string{"1,   7 "}},
		{"every GPU by its CDI name", []string{"--device", "nvidia.com/gpu=all"}, []string{"/dev/nvidia0", "/dev/nvidia1", "/dev/nvidiactl"}, nil},
		{"--gpus all", []string{"--gpus", "all"}, []string{"/dev/nvidia0", "/dev/nvidia1", "stand-in libcuda"}, nil},
		{"--gpus 1 is the first GPU", []string{"--gpus", "1"}, []string{"/dev/nvidia0"}, []string{"1,   7 "}},
		{"--gpus device=1", []string{"--gpus", "device=1"}, []string{"/dev/nvidia1"}, []string{"1,   3 "}},
		{"--gpus with two devices", []string{"--gpus", `"device=0,1"`}, []string{"/dev/nvidia0", "/dev/nvidia1"}, nil},
		{"--gpus capabilities", []string{"--gpus", `"capabilities=compute,utility"`}, []string{"NVIDIA_DRIVER_CAPABILITIES=compute,utility"}, nil},
		{"another vendor's device", []string{"--device", "example.com/dev=a"}, []string{"/dev/example-a", "EXAMPLE=a"}, []string{"NVIDIA_VISIBLE_DEVICES", "stand-in libcuda"}},
		{"a CDI device beside a host device", []string{"--device", "example.com/dev=a", "--device", "/dev/zero:/dev/zero2"}, []string{"/dev/example-a"}, nil},
		{"-e wins over the spec's environment", []string{"--gpus", "all", "-e", "NVIDIA_VISIBLE_DEVICES=mine"}, []string{"NVIDIA_VISIBLE_DEVICES=mine"}, []string{"NVIDIA_VISIBLE_DEVICES=void"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm", "--network", "none"}, tt.flags...), busyboxRef, "sh", "-c", show)
			out := e.urun(t, args...).ok(t)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			for _, n := range tt.not {
				assert.NotContains(t, out, n)
			}
		})
	}

	t.Run("device nodes are the host's, bound", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", "--network", "none", "--gpus", "all", busyboxRef, "sh", "-c",
			"ls -l /dev/nvidia0 /dev/nvidia1 /dev/nvidiactl; echo x > /dev/nvidia0 && head -c 3 /dev/nvidiactl | od -An -tx1").ok(t)
		assert.Regexp(t, `(?m)^c.* 1,\s+3 .*/dev/nvidia0$`, out)
		assert.Regexp(t, `(?m)^c.* 1,\s+7 .*/dev/nvidia1$`, out)
		assert.Regexp(t, `(?m)^c.* 1,\s+5 .*/dev/nvidiactl$`, out)
		assert.Contains(t, out, "00 00 00")
	})
	t.Run("a mount's options hold", func(t *testing.T) {
		r := e.urun(t, "run", "--rm", "--network", "none", "--gpus", "all", busyboxRef, "sh", "-c", "echo x >> /usr/lib/x86_64-linux-gnu/libcuda.so.1")
		assert.NotEqual(t, 0, r.code, "the library is mounted read-only: %s", r.describe())
		out := e.urun(t, "run", "--rm", "--network", "none", "--device", "example.com/dev=a", busyboxRef, "cat", "/opt/example/libcuda.so.1").ok(t)
		assert.Equal(t, "stand-in libcuda\n", out)
	})
}

func TestRunWithAGPURunsItsSpecsHooks(t *testing.T) {
	e, h := cdiEnv(t)
	out := e.urun(t, "run", "--name", "hooked", "--network", "none", "--gpus", "all", busyboxRef, "sh", "-c",
		"cat /etc/ld.so.cache.urun-test; cat /tmp/started").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "hooked") })
	// createContainer: on the host's paths, with the rootfs in reach
	// through the bundle, before the command.
	assert.Contains(t, out, "cache for /usr/lib/x86_64-linux-gnu by update-ldcache\n")
	marker, err := os.ReadFile(h.created)
	require.NoError(t, err, "the createContainer hook left its marker on the host")
	var state struct {
		Version string `json:"ociVersion"`
		ID      string `json:"id"`
		Status  string `json:"status"`
		Pid     int    `json:"pid"`
		Bundle  string `json:"bundle"`
	}
	require.NoError(t, json.Unmarshal(marker, &state))
	id := strings.TrimSpace(e.urun(t, "inspect", "-f", "{{.Id}}", "hooked").ok(t))
	assert.Equal(t, id, state.ID)
	assert.Equal(t, "creating", state.Status)
	assert.NotZero(t, state.Pid)
	assert.NotEmpty(t, state.Version)
	// startContainer: in the container, with the same state on stdin.
	assert.Contains(t, out, `"id":"`+id+`"`)
}

func TestRunWithAnUnknownCDIDeviceFailsNamingTheKnownOnes(t *testing.T) {
	e, h := cdiEnv(t)
	for _, tt := range []struct {
		name  string
		flags []string
		want  []string
	}{
		{"an unknown device", []string{"--device", "nvidia.com/gpu=7"},
			[]string{"unknown CDI device nvidia.com/gpu=7", "the devices defined in " + h.specDir + " are example.com/dev=a, nvidia.com/gpu=0, nvidia.com/gpu=1, nvidia.com/gpu=all"}},
		{"more GPUs than there are", []string{"--gpus", "3"}, []string{"unknown CDI device nvidia.com/gpu=2"}},
		{"a malformed name", []string{"--device", "nvidia.com/gpu=a b"}, []string{"--device nvidia.com/gpu=a b", "VENDOR/CLASS=NAME"}},
		{"a --gpus it cannot read", []string{"--gpus", "device=0,1"}, []string{`quote a list of devices: '"device=0,1"'`}},
		{"a driver other than NVIDIA's", []string{"--gpus", "driver=amd,all"}, []string{"NVIDIA's CDI devices only"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "true")
			r := e.urun(t, args...)
			r.exits(t, 125)
			for _, w := range tt.want {
				assert.Contains(t, r.stderr, w)
			}
		})
	}
	t.Run("no spec at all", func(t *testing.T) {
		e2 := containerEnv(t)
		empty := filepath.Join(e2.dir, "nocdi")
		e2.vars = append(e2.vars, "URUN_CDI_SPEC_DIRS="+empty)
		r := e2.urun(t, "run", "--rm", "--gpus", "all", busyboxRef, "true")
		r.exits(t, 125)
		assert.Contains(t, r.stderr, "no CDI device is defined in "+empty)
		assert.Contains(t, r.stderr, "nvidia-ctk cdi generate")
	})
}

func TestRunWithAMalformedCDISpecNamesTheFileAndTheProblem(t *testing.T) {
	e, h := cdiEnv(t)
	broken := filepath.Join(h.specDir, "broken.yaml")
	require.NoError(t, os.WriteFile(broken, []byte("cdiVersion: 0.6.0\nkind: example.com/broken\ndevices:\n- name: x\n  containerEdits:\n    deviceNodes:\n    - hostPath: /dev/null\n"), 0o644))
	r := e.urun(t, "run", "--rm", "--device", "example.com/broken=x", busyboxRef, "true")
	r.exits(t, 125)
	assert.Contains(t, r.stderr, "spec "+broken+": ")
	assert.Contains(t, r.stderr, "device path")
	// A device of a sound spec still runs; the broken one is named.
	r = e.urun(t, "run", "--rm", "--network", "none", "--device", "example.com/dev=a", busyboxRef, "true")
	r.ok(t)
	assert.Contains(t, r.stderr, "warning: CDI spec "+broken)
}

func TestCDISpecDirectoriesComeFromUrunConf(t *testing.T) {
	e := containerEnv(t)
	h := newCDIHost(t, e.dir)
	conf := filepath.Join(e.configHome, "urun", "urun.conf")
	require.NoError(t, os.WriteFile(conf, []byte(fmt.Sprintf("cgroups_warning = false\ncdi_spec_dirs = [%q]\n", h.specDir)), 0o600))
	out := e.urun(t, "run", "--rm", "--network", "none", "--device", "example.com/dev=a", busyboxRef, "sh", "-c", "echo $EXAMPLE").ok(t)
	assert.Equal(t, "a\n", out)
}

func TestInspectShowsTheDevicesAndGPUsAsked(t *testing.T) {
	e, _ := cdiEnv(t)
	e.urun(t, "create", "--name", "gpu", "--gpus", "all", "--device", "example.com/dev=a", "--device", "/dev/zero:/dev/z", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "gpu") })
	var host struct {
		Devices []struct {
			PathOnHost, PathInContainer, CgroupPermissions string
		}
		DeviceRequests []struct {
			Driver       string
			Count        int
			DeviceIDs    []string
			Capabilities [][]string
		}
		Binds []string
	}
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .HostConfig}}", "gpu").ok(t)), &host))
	require.Len(t, host.Devices, 1)
	assert.Equal(t, "/dev/zero", host.Devices[0].PathOnHost)
	require.Len(t, host.DeviceRequests, 2)
	// Docker's shapes: a CDI --device is a request of the "cdi" driver,
	// --gpus one of the default driver with Docker's "gpu" capability.
	assert.Equal(t, "cdi", host.DeviceRequests[0].Driver)
	assert.Equal(t, []string{"example.com/dev=a"}, host.DeviceRequests[0].DeviceIDs)
	assert.Equal(t, "", host.DeviceRequests[1].Driver)
	assert.Equal(t, -1, host.DeviceRequests[1].Count)
	assert.Equal(t, [][]string{{"gpu"}}, host.DeviceRequests[1].Capabilities)
	assert.Empty(t, host.Binds, "the specs' mounts are the devices', not binds asked for")
}
