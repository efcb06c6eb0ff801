package spec

import (
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Security is what --privileged, --cap-add, --cap-drop, --read-only and
// --security-opt ask for.
type Security struct {
	Privileged      bool
	CapAdd, CapDrop []string
	ReadOnly        bool
	// Opts are --security-opt values: no-new-privileges[=BOOL],
	// mask=PATH[:PATH...], unmask=PATH[:PATH...]|ALL, seccomp=unconfined|FILE.
	Opts []string
}

// DefaultMaskedPaths are hidden from the container as Docker hides them:
// files under /dev/null, directories under an empty read-only tmpfs.
var DefaultMaskedPaths = []string{
	"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap",
}

// DefaultReadonlyPaths are made read-only in the container, as Docker does.
var DefaultReadonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// readOnlyTmpfs are the directories --read-only leaves writable, each a
// tmpfs of its own (as podman's --read-only-tmpfs).
var readOnlyTmpfs = []string{"/tmp", "/var/tmp", "/run"}

// confinement is Security resolved into the spec's terms.
type confinement struct {
	caps                     []string
	noNewPrivileges          bool
	masked, readonly         []string
	seccompUnconfined        bool
	seccompProfile           string // Docker's JSON; "" for the default
	readOnlyRoot, writeSysfs bool
	hostDevices              bool
}

// SeccompAnnotation records the container's seccomp profile in its spec:
// absent for Docker's default, "unconfined" for none, else the JSON of
// the profile --security-opt seccomp=FILE gave (read when the container
// was created, as Docker does).
const SeccompAnnotation = "run.urun.seccomp"

func (sec Security) resolve() (confinement, error) {
	caps, err := Capabilities(sec.CapAdd, sec.CapDrop, sec.Privileged)
	if err != nil {
		return confinement{}, err
	}
	c := confinement{caps: caps, noNewPrivileges: true, readOnlyRoot: sec.ReadOnly}
	if sec.Privileged {
		// As Docker's --privileged: nothing hidden, setuid programs work.
		c.noNewPrivileges, c.seccompUnconfined, c.writeSysfs, c.hostDevices = false, true, true, true
	} else {
		c.masked = slices.Clone(DefaultMaskedPaths)
		c.readonly = slices.Clone(DefaultReadonlyPaths)
	}
	for _, opt := range sec.Opts {
		key, value, hasValue := strings.Cut(opt, "=")
		if !hasValue {
			key, value, hasValue = strings.Cut(opt, ":") // Docker's old form
		}
		switch key {
		case "no-new-privileges":
			on := true
			if hasValue {
				on, err = strconv.ParseBool(value)
				if err != nil {
					return confinement{}, fmt.Errorf("--security-opt %s: want no-new-privileges=true or =false", opt)
				}
			}
			c.noNewPrivileges = on
		case "mask":
			paths, err := securityPaths(opt, value)
			if err != nil {
				return confinement{}, err
			}
			c.masked = appendNew(c.masked, paths...)
		case "unmask":
			if value == "ALL" {
				c.masked, c.readonly = nil, nil
				continue
			}
			paths, err := securityPaths(opt, value)
			if err != nil {
				return confinement{}, err
			}
			c.masked = slices.DeleteFunc(c.masked, func(p string) bool { return slices.Contains(paths, p) })
			c.readonly = slices.DeleteFunc(c.readonly, func(p string) bool { return slices.Contains(paths, p) })
		case "seccomp":
			switch {
			case value == "unconfined":
				c.seccompUnconfined, c.seccompProfile = true, ""
			case value == "" || !hasValue:
				return confinement{}, fmt.Errorf("--security-opt %s: give seccomp=unconfined or seccomp=PROFILE.json", opt)
			default:
				data, err := os.ReadFile(value)
				if err != nil {
					return confinement{}, fmt.Errorf("--security-opt %s: read the seccomp profile: %w", opt, err)
				}
				c.seccompUnconfined, c.seccompProfile = false, string(data)
			}
		default:
			return confinement{}, fmt.Errorf("--security-opt %q: unknown option: want no-new-privileges[=BOOL], mask=PATHS, unmask=PATHS|ALL or seccomp=unconfined|PROFILE.json", opt)
		}
	}
	return c, nil
}

// securityPaths parses the colon-separated absolute paths of mask= and
// unmask=.
func securityPaths(opt, value string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(value, ":") {
		if !path.IsAbs(p) || path.Clean(p) != p || p == "/" {
			return nil, fmt.Errorf("--security-opt %s: %q is not a clean absolute path below /: give PATH[:PATH...]", opt, p)
		}
		out = append(out, p)
	}
	return out, nil
}

func appendNew(list []string, items ...string) []string {
	for _, it := range items {
		if !slices.Contains(list, it) {
			list = append(list, it)
		}
	}
	return list
}

// apply writes c into s. userMounts are the user's own mounts: a tmpfs of
// --read-only's is not added where one of them already mounts.
func (c confinement) apply(s *specs.Spec, userMounts []specs.Mount) {
	s.Process.Capabilities = &specs.LinuxCapabilities{
		Bounding: c.caps, Effective: c.caps, Permitted: c.caps,
	}
	s.Process.NoNewPrivileges = c.noNewPrivileges
	s.Linux.MaskedPaths = c.masked
	s.Linux.ReadonlyPaths = c.readonly
	s.Root.Readonly = c.readOnlyRoot
	seccomp := c.seccompProfile
	if c.seccompUnconfined {
		seccomp = "unconfined"
	}
	if seccomp != "" {
		// Beside --annotation's and --group-add's.
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[SeccompAnnotation] = seccomp
	}
	if c.writeSysfs {
		for i, m := range s.Mounts {
			if m.Destination == "/sys" && m.Type == "sysfs" {
				s.Mounts[i].Options = slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return o == "ro" })
			}
		}
	}
	if c.hostDevices {
		s.Mounts = append(s.Mounts, UserDevices()...)
	}
	if !c.readOnlyRoot {
		return
	}
	for _, dir := range readOnlyTmpfs {
		if slices.ContainsFunc(userMounts, func(m specs.Mount) bool { return path.Clean(m.Destination) == dir }) {
			continue
		}
		s.Mounts = append(s.Mounts, specs.Mount{
			Destination: dir, Type: "tmpfs", Source: "tmpfs",
			Options: []string{"nosuid", "nodev", "mode=1777"},
		})
	}
}
