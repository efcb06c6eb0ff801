package cdi

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/spec"
)

// Edits are what the named CDI devices do to a container, as urun-image
// resolved them with the CDI library (the spec's and each device's
// containerEdits merged, the library's rules applied) and hands them to
// urun as JSON.
type Edits struct {
	// Devices are the names resolved, in the order asked.
	Devices []string `json:"devices"`
	// Env are KEY=VALUE entries.
	Env []string `json:"env,omitempty"`
	// DeviceNodes keep each node's host path, which OCI's device list has
	// no room for: a user namespace cannot mknod, so the host's node is
	// bound.
	DeviceNodes []DeviceNode `json:"device_nodes,omitempty"`
	// Mounts are the library's OCI mounts: Source on the host,
	// Destination in the container.
	Mounts []specs.Mount `json:"mounts,omitempty"`
	Hooks  *specs.Hooks  `json:"hooks,omitempty"`
	// AdditionalGIDs are groups the container's process joins.
	AdditionalGIDs []uint32 `json:"additional_gids,omitempty"`
}

// DeviceNode is one of a CDI spec's deviceNodes.
type DeviceNode struct {
	// Path is in the container; HostPath (Path when the spec gives none)
	// on the host.
	Path     string `json:"path"`
	HostPath string `json:"host_path"`
	// Permissions are r, w and m ("" is all three).
	Permissions string `json:"permissions,omitempty"`
	// Spec is the CDI spec file that names the node, for messages.
	Spec string `json:"spec,omitempty"`
}

// Applied are Edits in urun's terms: mounts (the device nodes bound from
// the host among them), environment, hooks and --group-add groups.
type Applied struct {
	Mounts   []specs.Mount
	Env      []string
	Hooks    *specs.Hooks
	GroupAdd []string
}

// Translate turns e into urun's spec options. A device node becomes a
// bind mount of the host's node, as --device's (it must be one you can
// open); a mount without a type, or of type bind, a bind mount with its
// options. Poststart and poststop hooks are refused: urun runs the others
// (see package hooks).
func (e Edits) Translate() (Applied, error) {
	var a Applied
	for _, d := range e.DeviceNodes {
		perms := d.Permissions
		if perms == "" {
			perms = "rwm"
		}
		host := d.HostPath
		if host == "" {
			host = d.Path
		}
		m, err := spec.BindDevice(host, d.Path, perms)
		if err != nil {
			return a, fmt.Errorf("CDI device node %s (spec %s): %w", d.Path, d.Spec, err)
		}
		a.Mounts = append(a.Mounts, m)
	}
	for _, m := range e.Mounts {
		m, err := translateMount(m)
		if err != nil {
			return a, err
		}
		a.Mounts = append(a.Mounts, m)
	}
	a.Env = e.Env
	for _, g := range e.AdditionalGIDs {
		a.GroupAdd = append(a.GroupAdd, strconv.FormatUint(uint64(g), 10))
	}
	if e.Hooks != nil {
		if err := checkHooks(e.Hooks); err != nil {
			return a, err
		}
		a.Hooks = e.Hooks
	}
	return a, nil
}

func translateMount(m specs.Mount) (specs.Mount, error) {
	if !path.IsAbs(m.Destination) {
		return m, fmt.Errorf("CDI mount of %s: the container path %q is not absolute", m.Source, m.Destination)
	}
	m.Destination = path.Clean(m.Destination)
	isBind := m.Type == "" || m.Type == "bind" || slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")
	if !isBind {
		return m, nil
	}
	m.Type = "bind"
	if !slices.Contains(m.Options, "bind") && !slices.Contains(m.Options, "rbind") {
		m.Options = append([]string{"rbind"}, m.Options...)
	}
	if _, err := os.Stat(m.Source); err != nil {
		return m, fmt.Errorf("CDI mount of %s on %s: %w", m.Source, m.Destination, err)
	}
	return m, nil
}

// checkHooks refuses the hooks urun does not run and those it could not
// start: a hook run before pivot_root must be on the host.
func checkHooks(h *specs.Hooks) error {
	for _, unsupported := range []struct {
		name  string
		hooks []specs.Hook
	}{{"poststart", h.Poststart}, {"poststop", h.Poststop}} {
		if len(unsupported.hooks) > 0 {
			return fmt.Errorf("CDI hook %s (%s): urun runs prestart, createRuntime, createContainer and startContainer hooks only", unsupported.hooks[0].Path, unsupported.name)
		}
	}
	//nolint:staticcheck // Prestart is deprecated but CDI specs still give it.
	for _, group := range [][]specs.Hook{h.Prestart, h.CreateRuntime, h.CreateContainer} {
		for _, hook := range group {
			if err := checkHostHook(hook); err != nil {
				return err
			}
		}
	}
	for _, hook := range h.StartContainer {
		// It runs in the container: its path is the container's.
		if !path.IsAbs(hook.Path) {
			return fmt.Errorf("CDI hook %s (startContainer): the path must be absolute", hook.Path)
		}
	}
	return nil
}

func checkHostHook(h specs.Hook) error {
	if !path.IsAbs(h.Path) {
		return fmt.Errorf("CDI hook %s: the path must be absolute", h.Path)
	}
	st, err := os.Stat(h.Path)
	if err != nil {
		return fmt.Errorf("CDI hook %s: %w", h.Path, err)
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("CDI hook %s is not an executable file", h.Path)
	}
	return nil
}
