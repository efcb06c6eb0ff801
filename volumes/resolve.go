package volumes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/spec"
)

// From is a parsed --volumes-from: the mounts container ID has, volumes
// and host directories, to be mounted alike.
type From struct {
	Container string
	Mounts    []specs.Mount
	Volumes   []spec.VolumeMount
}

// ParseVolumesFrom finds the containers of --volumes-from CTR[:ro|:rw]
// values and reads their mounts; :ro mounts them all read-only, :rw all
// writable, neither as they are.
func ParseVolumesFrom(cfg *config.Config, values []string) ([]From, error) {
	if len(values) == 0 {
		return nil, nil
	}
	list, err := containers.List(cfg)
	if err != nil {
		return nil, err
	}
	var out []From
	for _, value := range values {
		ref, mode, _ := strings.Cut(value, ":")
		if mode != "" && mode != "ro" && mode != "rw" {
			return nil, fmt.Errorf("--volumes-from %q: invalid mode %q: want CONTAINER, CONTAINER:ro or CONTAINER:rw", value, mode)
		}
		c, err := containers.Find(list, ref)
		if err != nil {
			return nil, fmt.Errorf("--volumes-from %q: %w", value, err)
		}
		f := From{Container: c.ID}
		var binds []specs.Mount
		if s, err := containers.ReadSettings(cfg, c.State); err == nil {
			binds = userBinds(s.Spec.Mounts)
		} else {
			// A foreground --rm container keeps no settings: its volumes
			// are in its record.
			for _, v := range c.Volumes {
				if v.Name != "" {
					binds = append(binds, bindOf(v.Source, v.Destination, v.ReadOnly))
				}
			}
		}
		for _, m := range binds {
			switch mode {
			case "ro":
				if !slices.Contains(m.Options, "ro") {
					m.Options = append(slices.Clone(m.Options), "ro")
				}
			case "rw":
				m.Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
			}
			f.Mounts = append(f.Mounts, m)
			for _, v := range c.Volumes {
				if v.Destination == m.Destination && v.Name != "" {
					v.Inherited, v.Chown = true, false
					v.ReadOnly = slices.Contains(m.Options, "ro")
					f.Volumes = append(f.Volumes, v)
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// userBinds are the bind mounts of a container's spec that the user
// asked for (-v, --mount, volumes): not the ones every container gets,
// nor devices.
func userBinds(all []specs.Mount) []specs.Mount {
	defaults := append(spec.DefaultMounts(false), spec.DefaultMounts(true)...)
	var out []specs.Mount
	for _, m := range all {
		if m.Type != "bind" || strings.HasPrefix(m.Source, "/dev/") || m.Source == "/sys" {
			continue
		}
		if slices.ContainsFunc(defaults, func(d specs.Mount) bool { return d.Destination == m.Destination && d.Source == m.Source }) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func bindOf(source, destination string, readOnly bool) specs.Mount {
	m := specs.Mount{Destination: destination, Type: "bind", Source: source, Options: []string{"rbind"}}
	if readOnly {
		m.Options = append(m.Options, "ro")
	}
	return m
}

// CheckMounts refuses what Resolve would refuse of parsed mounts, before
// an image is pulled for them: volume-opt values.
func CheckMounts(mounts []specs.Mount) error {
	for _, m := range mounts {
		if m.Type != spec.VolumeType {
			continue
		}
		if _, err := ParseOptions(volumeOpts(m.Options)); err != nil {
			return fmt.Errorf("--mount volume-opt: %w", err)
		}
	}
	return nil
}

func volumeOpts(options []string) []string {
	var out []string
	for _, o := range options {
		if v, ok := strings.CutPrefix(o, spec.VolumeOptPrefix); ok {
			out = append(out, v)
		}
	}
	return out
}

// Resolved are a new container's mounts with its volumes made: hold it
// (the store lock, shared) until the container's record names the
// volumes, then Release it.
type Resolved struct {
	Mounts  []specs.Mount
	Volumes []spec.VolumeMount
	cfg     *config.Config
	lock    *os.File
	// created are the anonymous volumes made for the container, removed
	// by Abandon.
	created []Volume
}

// Release lets go of the store lock: the container's record names its
// volumes, or it will not be made.
func (r *Resolved) Release() {
	if r != nil && r.lock != nil {
		r.lock.Close()
		r.lock = nil
	}
}

// Abandon removes the anonymous volumes made for a container that will
// not be made.
func (r *Resolved) Abandon() {
	if r == nil {
		return
	}
	r.Release()
	if len(r.created) > 0 {
		destroy(r.cfg, r.created)
		r.created = nil
	}
}

// Resolve turns the volume mounts among mounts (spec.VolumeType) into
// bind mounts of volumes, making the volumes that do not exist yet (an
// anonymous one for each mount without a name), adds the mounts of
// --volumes-from containers and an anonymous volume for each of the
// image's VOLUME paths that no mount covers, as Docker does.
func Resolve(cfg *config.Config, mounts []specs.Mount, imageVolumes map[string]struct{}, from []From) (r *Resolved, err error) {
	r = &Resolved{cfg: cfg}
	// Most containers have no volume: their start does not touch the
	// volume store.
	usesStore := len(from) > 0 || len(imageVolumes) > 0 || slices.ContainsFunc(mounts, func(m specs.Mount) bool { return m.Type == spec.VolumeType })
	if usesStore {
		if r.lock, err = lockStore(cfg, false); err != nil {
			return nil, err
		}
	}
	defer func() {
		if err != nil {
			r.Abandon()
		}
	}()
	covered := map[string]bool{}
	for _, m := range mounts {
		covered[m.Destination] = true
	}
	for _, m := range mounts {
		switch {
		case m.Type == spec.VolumeType:
			if err := r.addVolume(m); err != nil {
				return nil, err
			}
		case m.Type == "bind" && slices.Contains(m.Options, spec.OptionChown):
			m.Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == spec.OptionChown })
			r.Mounts = append(r.Mounts, m)
			r.Volumes = append(r.Volumes, spec.VolumeMount{Destination: m.Destination, Source: m.Source, Chown: true})
		default:
			r.Mounts = append(r.Mounts, m)
		}
	}
	for _, f := range from {
		for _, m := range f.Mounts {
			if covered[m.Destination] {
				continue
			}
			covered[m.Destination] = true
			r.Mounts = append(r.Mounts, m)
			for _, v := range f.Volumes {
				if v.Destination == m.Destination {
					r.Volumes = append(r.Volumes, v)
				}
			}
		}
	}
	var paths []string
	for p := range imageVolumes {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		if !filepath.IsAbs(p) {
			continue // Docker refuses such an image at build
		}
		p = filepath.Clean(p)
		if covered[p] || p == "/" {
			continue
		}
		covered[p] = true
		if err := r.addVolume(specs.Mount{Destination: p, Type: spec.VolumeType}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addVolume finds or makes the volume of mount m and mounts it.
func (r *Resolved) addVolume(m specs.Mount) error {
	vm := spec.VolumeMount{Name: m.Source, Destination: m.Destination}
	var mountOpts []string
	for _, o := range m.Options {
		switch {
		case o == spec.OptionNoCopy:
			vm.NoCopy = true
		case o == spec.OptionChown:
			vm.Chown = true
		case o == "ro":
			vm.ReadOnly = true
			mountOpts = append(mountOpts, o)
		case strings.HasPrefix(o, spec.VolumeOptPrefix):
		default:
			mountOpts = append(mountOpts, o)
		}
	}
	var v Volume
	var err error
	if vm.Name == "" {
		v, err = Create(r.cfg, CreateOptions{Opts: volumeOpts(m.Options), Labels: map[string]string{AnonymousLabel: ""}})
		if err != nil {
			return err
		}
		r.created = append(r.created, v)
		vm.Name, vm.Anonymous = v.Name, true
	} else {
		v, err = Get(r.cfg, vm.Name)
		if errors.Is(err, ErrNotFound) {
			// Docker makes a named volume at its first use.
			v, err = Create(r.cfg, CreateOptions{Name: vm.Name, Opts: volumeOpts(m.Options)})
		}
		if err != nil {
			return err
		}
	}
	if v.Tmpfs() {
		// Rootless, urun cannot mount a tmpfs on the host for containers
		// to share: each container gets its own.
		opts := append([]string{"nosuid", "nodev"}, mountOpts...)
		opts = append(opts, splitO(v.Options["o"])...)
		r.Mounts = append(r.Mounts, specs.Mount{Destination: m.Destination, Type: "tmpfs", Source: "tmpfs", Options: opts})
		r.Volumes = append(r.Volumes, spec.VolumeMount{Name: vm.Name, Anonymous: vm.Anonymous, Destination: m.Destination, ReadOnly: vm.ReadOnly})
		return nil
	}
	vm.Source, vm.Dir = v.Mountpoint(), v.Dir
	if slices.Contains(splitO(v.Options["o"]), "ro") && !vm.ReadOnly {
		vm.ReadOnly = true
		mountOpts = append(mountOpts, "ro")
	}
	r.Mounts = append(r.Mounts, specs.Mount{Destination: m.Destination, Type: "bind", Source: vm.Source, Options: append([]string{"rbind"}, mountOpts...)})
	r.Volumes = append(r.Volumes, vm)
	return nil
}
