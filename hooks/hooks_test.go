package hooks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// script writes an executable shell script.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook")
	require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755))
	return p
}

func TestAHookGetsTheStateItsArgumentsAndOnlyItsEnvironment(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	hook := script(t, `cat > "$OUT.state"; echo "$# $1 $2" > "$OUT.args"; env | grep -v '^PWD=\|^SHLVL=\|^_=' | sort > "$OUT.env"; pwd > "$OUT.dir"`)
	dir := t.TempDir()
	configPath := filepath.Join(dir, "config.json")
	rootfs := t.TempDir()
	r := New(configPath, "abc", rootfs, map[string]string{"k": "v"}, &specs.Hooks{
		CreateContainer: []specs.Hook{{Path: hook, Args: []string{"nvidia-ctk", "hook", "update-ldcache"}, Env: []string{"OUT=" + out}}},
	})
	t.Setenv("URUN_SECRET", "not for hooks")
	require.NoError(t, r.BeforePivot())

	var state specs.State
	data, err := os.ReadFile(out + ".state")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &state))
	bundle := filepath.Join(dir, BundleDir)
	assert.Equal(t, specs.State{Version: specs.Version, ID: "abc", Status: specs.StateCreating, Pid: os.Getpid(), Bundle: bundle, Annotations: map[string]string{"k": "v"}}, state)
	args, _ := os.ReadFile(out + ".args")
	// A script sees its own path as $0, not argv[0].
	assert.Equal(t, "2 hook update-ldcache\n", string(args))
	env, _ := os.ReadFile(out + ".env")
	assert.Equal(t, "OUT="+out+"\n", string(env))
	wd, _ := os.ReadFile(out + ".dir")
	assert.Equal(t, bundle+"\n", string(wd))

	// The bundle's config.json names the rootfs, as hooks such as
	// nvidia-ctk's read it.
	var bundleSpec specs.Spec
	data, err = os.ReadFile(filepath.Join(bundle, "config.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &bundleSpec))
	assert.Equal(t, rootfs, bundleSpec.Root.Path)
}

func TestHooksRunInTheRuntimeSpecsOrder(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: script(t, "echo "+name+" >> "+log)}
	}
	r := New(filepath.Join(t.TempDir(), "config.json"), "id", "/", nil, &specs.Hooks{
		StartContainer:  []specs.Hook{hook("startContainer")},
		CreateContainer: []specs.Hook{hook("createContainer1"), hook("createContainer2")},
		CreateRuntime:   []specs.Hook{hook("createRuntime")},
		Prestart:        []specs.Hook{hook("prestart")}, //nolint:staticcheck // CDI specs still give it
	})
	require.NoError(t, r.BeforePivot())
	require.NoError(t, r.StartContainer())
	data, err := os.ReadFile(log)
	require.NoError(t, err)
	assert.Equal(t, "prestart\ncreateRuntime\ncreateContainer1\ncreateContainer2\nstartContainer\n", string(data))
}

func TestAFailingHookFailsTheContainerWithItsOutput(t *testing.T) {
	failing := script(t, "echo 'ldconfig: cannot open cache' >&2; exit 3")
	r := New(filepath.Join(t.TempDir(), "config.json"), "id", "/", nil, &specs.Hooks{CreateContainer: []specs.Hook{{Path: failing}}})
	err := r.BeforePivot()
	require.Error(t, err)
	assert.Equal(t, "createContainer hook "+failing+": exit status 3: ldconfig: cannot open cache", err.Error())
}

func TestAHookThatOutlivesItsTimeoutIsKilled(t *testing.T) {
	slow := script(t, "exec sleep 30")
	one := 1
	r := New(filepath.Join(t.TempDir(), "config.json"), "id", "/", nil, &specs.Hooks{StartContainer: []specs.Hook{{Path: slow, Timeout: &one}}})
	start := time.Now()
	err := r.StartContainer()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "still running after its timeout of 1s")
	assert.Less(t, time.Since(start), 10*time.Second)
}

func TestNoHooksCostNothing(t *testing.T) {
	dir := t.TempDir()
	r := New(filepath.Join(dir, "config.json"), "id", "/", nil, &specs.Hooks{})
	assert.Nil(t, r)
	require.NoError(t, r.BeforePivot())
	require.NoError(t, r.StartContainer())
	_, err := os.Stat(filepath.Join(dir, BundleDir))
	assert.True(t, os.IsNotExist(err), "no bundle is written without hooks")
}

func TestAHookThatLeavesAChildHoldingItsOutputDoesNotHoldTheStart(t *testing.T) {
	leaves := script(t, "sleep 30 &\nexit 0")
	r := New(filepath.Join(t.TempDir(), "config.json"), "id", "/", nil, &specs.Hooks{StartContainer: []specs.Hook{{Path: leaves}}})
	start := time.Now()
	require.NoError(t, r.StartContainer())
	assert.Less(t, time.Since(start), 10*time.Second)
}
