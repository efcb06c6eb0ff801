package inside

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/urun/urun/spec"
)

// config is the part of config.json (a spec.Container) that init uses.
// Decoding into the whole runtime-spec Spec cost over half a millisecond
// of every start, spent building encoding/json's caches for its many
// types; these few fields decode in a fraction of that. The JSON names
// are the runtime spec's; a test checks they stay in step.
type config struct {
	ID   string `json:"id"`
	Spec struct {
		Hostname    string            `json:"hostname"`
		Domainname  string            `json:"domainname"`
		Annotations map[string]string `json:"annotations"`
		Root        struct {
			Path     string `json:"path"`
			Readonly bool   `json:"readonly"`
		} `json:"root"`
		Mounts []specs.Mount `json:"mounts"`
		// Hooks come from CDI specs (package hooks runs them).
		Hooks   *specs.Hooks `json:"hooks"`
		Process struct {
			Terminal    bool       `json:"terminal"`
			ConsoleSize *specs.Box `json:"consoleSize"`
			User        struct {
				Username string `json:"username"`
			} `json:"user"`
			Args            []string                 `json:"args"`
			Env             []string                 `json:"env"`
			Cwd             string                   `json:"cwd"`
			Capabilities    *specs.LinuxCapabilities `json:"capabilities"`
			NoNewPrivileges bool                     `json:"noNewPrivileges"`
			Rlimits         []specs.POSIXRlimit      `json:"rlimits"`
		} `json:"process"`
		Linux struct {
			MaskedPaths   []string          `json:"maskedPaths"`
			ReadonlyPaths []string          `json:"readonlyPaths"`
			Sysctl        map[string]string `json:"sysctl"`
			// Namespaces are those the container has of its own.
			Namespaces []specs.LinuxNamespace `json:"namespaces"`
		} `json:"linux"`
	} `json:"spec"`
	Rootfs         spec.Rootfs        `json:"rootfs"`
	WaitForHost    bool               `json:"wait_for_host"`
	Seccomp        string             `json:"seccomp"`
	CgroupNS       bool               `json:"cgroup_ns"`
	CwdOwnedByUser bool               `json:"cwd_owned_by_user"`
	Volumes        []spec.VolumeMount `json:"volumes"`
	ImageMounts    []spec.ImageMount  `json:"image_mounts"`
}
