// Package spec builds a container's OCI runtime spec on the host side from
// the image's config and the user's options, the way `docker run` merges
// them. The spec is written to the container's run state and carried out
// by package inside.
package spec

import (
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/image/local"
)

// DefaultPath is the PATH a container gets when its image sets none.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Options are what `urun run` was asked for.
type Options struct {
	// Command replaces the image's Cmd when not empty.
	Command []string
	// Entrypoint replaces the image's Entrypoint when set; "" clears it.
	Entrypoint *string
	// Env entries are KEY=VALUE, or KEY alone to pass the caller's value.
	Env      []string
	WorkDir  string
	User     string
	Hostname string
	Terminal bool
	// Mounts are parsed --volume, --mount and --tmpfs options, in order.
	Mounts []specs.Mount
	// HostNetwork keeps the caller's network namespace.
	HostNetwork bool
	// Security is the confinement: capabilities, no_new_privs, masked
	// paths, a read-only root.
	Security Security
	// Kernel are limits, sysctls, groups and namespace modes (kernel.go).
	Kernel Kernel
	// Annotations are --annotation's, the spec's; urun's own keys start
	// with OwnAnnotationPrefix.
	Annotations map[string]string
	// Hooks are the CDI devices' OCI hooks (package cdi), which init runs
	// (package hooks).
	Hooks *specs.Hooks
}

// OwnAnnotationPrefix starts the keys of the annotations urun itself
// writes into a spec, which --annotation may not set.
const OwnAnnotationPrefix = "run.urun."

// Container is everything the inside stage needs, written as the
// container's config.json.
type Container struct {
	ID     string      `json:"id"`
	Spec   *specs.Spec `json:"spec"`
	Rootfs Rootfs      `json:"rootfs"`
	// WaitForHost makes init wait, right before exec, until the host says
	// the network is ready and ports are published: a first connect of the
	// command must not fail.
	WaitForHost bool `json:"wait_for_host,omitempty"`
	// Seccomp is the compiled seccomp filter to load before exec (see
	// package seccomp); "" for none.
	Seccomp string `json:"seccomp,omitempty"`
	// CgroupNS makes init unshare a cgroup namespace first: the container
	// has a cgroup of its own, which becomes its cgroup root.
	CgroupNS bool `json:"cgroup_ns,omitempty"`
	// CwdOwnedByUser gives a working directory init makes to the
	// process's user, as Docker's builder does for RUN (`docker run`
	// makes it root's).
	CwdOwnedByUser bool `json:"cwd_owned_by_user,omitempty"`
	// Volumes are set up by init before the mounts are made (see
	// VolumeMount).
	Volumes []VolumeMount `json:"volumes,omitempty"`
	// ImageMounts are --mount type=image's, mounted after the others.
	ImageMounts []ImageMount `json:"image_mounts,omitempty"`
}

// Rootfs says how to assemble the root file system.
type Rootfs struct {
	// Driver is "auto", "native" or "fuse-overlayfs".
	Driver string `json:"driver"`
	// Lower are the image's layer directories, top layer first, as overlay
	// wants them; relative to LinkDir when it is set.
	Lower   []string `json:"lower"`
	LinkDir string   `json:"link_dir,omitempty"`
	Upper   string   `json:"upper"`
	Work    string   `json:"work"`
	// Volatile skips syncing the writable layer, for --rm containers whose
	// layer is deleted at exit: the sync at unmount cost milliseconds.
	Volatile bool `json:"volatile,omitempty"`
	// SquashOwners shows every file as root's (fuse-overlayfs only), for
	// layers of a shared store whose ids the user namespace does not map.
	SquashOwners bool `json:"squash_owners,omitempty"`
}

// Build merges the image's config with the user's options.
func Build(id string, img *local.Image, o Options, callerEnv func(string) (string, bool)) (*specs.Spec, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	ic := img.Config.Config
	args, err := command(ic, o)
	if err != nil {
		return nil, err
	}
	hostname := o.Hostname
	if hostname == "" {
		hostname = defaultHostname(id, o)
	}
	env := MergeEnv(ic.Env, o.Env, callerEnv)
	env = setDefault(env, "PATH", DefaultPath)
	env = setDefault(env, "HOSTNAME", hostname)
	if o.Terminal {
		env = setDefault(env, "TERM", "xterm")
	}
	cwd := o.WorkDir
	if cwd == "" {
		cwd = ic.WorkingDir
	}
	if cwd == "" {
		cwd = "/"
	}
	if !strings.HasPrefix(cwd, "/") {
		return nil, fmt.Errorf("working directory %q is not absolute: give -w an absolute path", cwd)
	}
	user := o.User
	if user == "" {
		user = ic.User
	}
	confine, err := o.Security.resolve()
	if err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:  specs.Version,
		Hostname: hostname,
		Process: &specs.Process{
			Terminal: o.Terminal,
			Args:     args,
			Env:      env,
			Cwd:      cwd,
			User:     specs.User{Username: user},
		},
		Root:        &specs.Root{},
		Hooks:       o.Hooks,
		Annotations: maps.Clone(o.Annotations),
		Mounts:      append(withoutReplaced(DefaultMounts(o.HostNetwork), o.Mounts), o.Mounts...),
		Linux: &specs.Linux{
			Namespaces: o.Kernel.namespaceTypes(o.HostNetwork),
		},
	}
	o.Kernel.apply(s, o.HostNetwork)
	confine.apply(s, o.Mounts)
	return s, nil
}

// command applies Docker's rules (see SplitCommand).
func command(ic local.RunConfig, o Options) ([]string, error) {
	entrypoint, cmd := SplitCommand(ic, o)
	args := append(append([]string{}, entrypoint...), cmd...)
	if len(args) == 0 {
		return nil, fmt.Errorf("no command specified: the image has no Entrypoint or Cmd, so give one after the image name")
	}
	return args, nil
}

// MergeEnv overlays the user's entries on the image's by key. An entry
// without '=' takes the caller's value, and is dropped when the caller has
// none, as with `docker run -e KEY`.
func MergeEnv(image, user []string, callerEnv func(string) (string, bool)) []string {
	out := append([]string{}, image...)
	for _, e := range user {
		if !strings.Contains(e, "=") {
			v, ok := callerEnv(e)
			if !ok {
				continue
			}
			e = e + "=" + v
		}
		out = setEnv(out, e)
	}
	return out
}

func setEnv(env []string, entry string) []string {
	key, _, _ := strings.Cut(entry, "=")
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = entry
			return env
		}
	}
	return append(env, entry)
}

func setDefault(env []string, key, value string) []string {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return env
		}
	}
	return append(env, key+"="+value)
}

// defaultHostname is the container's host name without --hostname: its
// short id, or the host's when it shares the host's network or UTS
// namespace, as Docker.
func defaultHostname(id string, o Options) string {
	if o.HostNetwork || o.Kernel.UTS == "host" {
		if h, err := os.Hostname(); err == nil {
			return h
		}
	}
	return id[:12]
}

// withoutReplaced drops the default mounts the user mounts over (a
// --tmpfs /dev/shm replaces urun's /dev/shm, not mounts a second one).
func withoutReplaced(defaults, user []specs.Mount) []specs.Mount {
	return slices.DeleteFunc(defaults, func(d specs.Mount) bool {
		return d.Destination != "/proc" && slices.ContainsFunc(user, func(m specs.Mount) bool { return m.Destination == d.Destination })
	})
}

// DefaultMounts are the file systems every container gets. /sys can only
// be mounted afresh in a network namespace the container owns; with the
// host's network it is a read-only bind of the host's.
func DefaultMounts(hostNetwork bool) []specs.Mount {
	sys := specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}}
	if hostNetwork {
		sys = specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}}
	}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		sys,
	}
}
