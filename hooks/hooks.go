// Package hooks runs a container's OCI hooks (the runtime spec's
// "hooks"), which urun's containers get from CDI specs (package cdi):
// nvidia-ctk's update-ldcache and create-symlinks, for instance. Each hook
// gets the container's OCI state as JSON on its standard input, only the
// environment the hook names, and its timeout.
//
// urun is rootless: the only place with the privileges these hooks need
// (chroot, mounts in the container) is the container's user namespace. So
// every hook runs in the container's user, mount and other namespaces, at
// the moment its type names:
//
//   - prestart, createRuntime and createContainer: after the rootfs is
//     assembled and every mount made, before pivot_root, as the user
//     namespace's root, with the host's file system still in view (their
//     paths are the host's). The state's bundle holds a config.json whose
//     root.path is the assembled rootfs there.
//   - startContainer: after the user and capabilities are the
//     container's, right before the command's exec; its path is the
//     container's.
//
// poststart and poststop are not run: package cdi refuses them.
package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// BundleDir is the directory, beside the container's config.json, that
// the hooks' state names as the bundle.
const BundleDir = "hooks-bundle"

// Runner runs one container's hooks; a nil Runner runs none.
type Runner struct {
	hooks  *specs.Hooks
	state  specs.State
	rootfs string
}

// New is the runner of hooks for the container whose urun config.json is
// at configPath, whose rootfs is assembled at rootfs; nil when there are no
// hooks, which costs nothing more.
func New(configPath, id, rootfs string, annotations map[string]string, h *specs.Hooks) *Runner {
	//nolint:staticcheck // Prestart is deprecated but CDI specs still give it.
	if h == nil || len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer) == 0 {
		return nil
	}
	return &Runner{
		hooks:  h,
		rootfs: rootfs,
		state: specs.State{
			Version: specs.Version, ID: id, Status: specs.StateCreating,
			Bundle: filepath.Join(filepath.Dir(configPath), BundleDir), Annotations: annotations,
		},
	}
}

// BeforePivot writes the bundle and runs the prestart, createRuntime and
// createContainer hooks, in that order, as the runtime spec orders them.
// The process's pid is its pid as the host's /proc (still mounted here)
// knows it.
func (r *Runner) BeforePivot() error {
	if r == nil {
		return nil
	}
	if self, err := os.Readlink("/proc/self"); err == nil {
		r.state.Pid, _ = strconv.Atoi(self)
	}
	if err := writeBundle(r.state.Bundle, r.rootfs, r.hooks); err != nil {
		return err
	}
	//nolint:staticcheck // Prestart is deprecated but CDI specs still give it.
	for _, stage := range []struct {
		name  string
		hooks []specs.Hook
	}{{"prestart", r.hooks.Prestart}, {"createRuntime", r.hooks.CreateRuntime}, {"createContainer", r.hooks.CreateContainer}} {
		if err := run(stage.name, stage.hooks, r.state, r.state.Bundle); err != nil {
			return err
		}
	}
	return nil
}

// StartContainer runs the startContainer hooks.
func (r *Runner) StartContainer() error {
	if r == nil {
		return nil
	}
	return run("startContainer", r.hooks.StartContainer, r.state, "")
}

// writeBundle writes the OCI config.json hooks read from the bundle:
// root.path is where the rootfs is assembled, as hooks such as nvidia-ctk's
// look for it.
func writeBundle(dir, rootfs string, h *specs.Hooks) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create the hooks' bundle: %w", err)
	}
	// The runtime spec's fields hooks read; encoding the whole Spec type
	// would put all of its types into urun-init.
	bundle := struct {
		Version string       `json:"ociVersion"`
		Root    specs.Root   `json:"root"`
		Hooks   *specs.Hooks `json:"hooks,omitempty"`
	}{specs.Version, specs.Root{Path: rootfs}, h}
	data, err := json.Marshal(bundle)
	if err != nil {
		return fmt.Errorf("encode the hooks' bundle: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), data, 0o600); err != nil {
		return fmt.Errorf("write the hooks' bundle: %w", err)
	}
	return nil
}

// outputRoom bounds how much of a failed hook's output its error quotes.
const outputRoom = 4 << 10

// run runs hooks of one type (named by kind) in order, each with state
// on its standard input, in dir ("" for this process's; OCI runtimes run
// them in the bundle); the first that fails, or outlives its timeout,
// fails the container.
func run(kind string, hooks []specs.Hook, state specs.State, dir string) error {
	if len(hooks) == 0 {
		return nil
	}
	data, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode the container state for %s hooks: %w", kind, err)
	}
	for _, h := range hooks {
		if err := runOne(h, data, dir); err != nil {
			return fmt.Errorf("%s hook %s: %w", kind, h.Path, err)
		}
	}
	return nil
}

func runOne(h specs.Hook, state []byte, dir string) error {
	if h.Timeout != nil && *h.Timeout <= 0 {
		return fmt.Errorf("timeout %d: want a number of seconds from 1", *h.Timeout)
	}
	cmd := exec.Command(h.Path)
	if len(h.Args) > 0 {
		cmd.Args = h.Args
	}
	// Only the hook's own environment: an empty one rather than urun's.
	cmd.Env = append([]string{}, h.Env...)
	cmd.Stdin, cmd.Dir = bytes.NewReader(state), dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	// A child the hook left behind holding its output does not hold
	// the container's start.
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	// A timer rather than exec.CommandContext: urun-init links no
	// package context for it.
	var timedOut atomic.Bool
	if h.Timeout != nil {
		timer := time.AfterFunc(time.Duration(*h.Timeout)*time.Second, func() {
			timedOut.Store(true)
			cmd.Process.Kill()
		})
		defer timer.Stop()
	}
	err := cmd.Wait()
	if timedOut.Load() {
		return fmt.Errorf("still running after its timeout of %ds: killed%s", *h.Timeout, quote(out.Bytes()))
	}
	// The hook itself ended well; what it left running is its own.
	if errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("%v%s", exit, quote(out.Bytes()))
		}
		return err
	}
	return nil
}

func quote(out []byte) string {
	s := strings.TrimSpace(string(out))
	if s == "" {
		return ""
	}
	if len(s) > outputRoom {
		s = "..." + s[len(s)-outputRoom:]
	}
	return ": " + s
}
