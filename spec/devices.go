package spec

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// defaultDeviceNames are the devices every container gets (see package
// inside); --device and --privileged add others.
var defaultDeviceNames = []string{"null", "zero", "full", "random", "urandom", "tty"}

// ParseDevice parses --device HOST-PATH[:CONTAINER-PATH[:PERMISSIONS]]
// (permissions r, w, m as Docker's; without w the device is bound
// read-only). A user namespace cannot create device nodes, so the host's
// node is bound: it must be a device you can already open.
func ParseDevice(v string) (specs.Mount, error) {
	if err := checkText("--device", v); err != nil {
		return specs.Mount{}, err
	}
	parts := strings.Split(v, ":")
	if len(parts) > 3 || parts[0] == "" {
		return specs.Mount{}, fmt.Errorf("--device %s: want HOST-PATH[:CONTAINER-PATH[:PERMISSIONS]]", v)
	}
	src := filepath.Clean(parts[0])
	dst := src
	perms := "rwm"
	if len(parts) > 1 && parts[1] != "" {
		if strings.Trim(parts[1], "rwm") == "" && len(parts) == 2 {
			perms = parts[1] // Docker's HOST:PERMISSIONS
		} else {
			dst = parts[1]
		}
	}
	if len(parts) == 3 {
		perms = parts[2]
	}
	if perms == "" || strings.Trim(perms, "rwm") != "" {
		return specs.Mount{}, fmt.Errorf("--device %s: permissions %q: give a combination of r, w and m", v, perms)
	}
	if err := checkDevice(src, perms); err != nil {
		return specs.Mount{}, fmt.Errorf("--device %s: %w", v, err)
	}
	if !path.IsAbs(dst) || !strings.HasPrefix(path.Clean(dst), "/dev/") {
		return specs.Mount{}, fmt.Errorf("--device %s: the container path %q must be below /dev", v, dst)
	}
	return deviceMount(src, path.Clean(dst), perms), nil
}

// checkDevice makes sure src is a device node the caller may open as
// perms asks.
func checkDevice(src, perms string) error {
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR && st.Mode&unix.S_IFMT != unix.S_IFBLK {
		return fmt.Errorf("%s is not a device", src)
	}
	mode := uint32(0)
	if strings.Contains(perms, "r") {
		mode |= unix.R_OK
	}
	if strings.Contains(perms, "w") {
		mode |= unix.W_OK
	}
	if err := unix.Access(src, mode); err != nil {
		return fmt.Errorf("you cannot open %s (%v): a rootless container gets only devices its user can open; ask for access (its group, or a udev rule) or give fewer permissions", src, err)
	}
	return nil
}

// UserDevices are --privileged's devices: every device node at the top
// of the host's /dev (and /dev/net/tun) that you can read and write,
// besides the default ones and the terminals, which are the container's
// own. Only the nodes themselves count: /dev/stdout, /dev/fd and the like
// are symlinks that lead, through the caller's own descriptors, to
// whatever its stdio is (a device too, when it is /dev/null or a
// terminal), and the container has its own links of those names.
func UserDevices() []specs.Mount {
	var out []specs.Mount
	entries, _ := os.ReadDir("/dev")
	candidates := []string{"/dev/net/tun"}
	for _, e := range entries {
		candidates = append(candidates, "/dev/"+e.Name())
	}
	for _, src := range candidates {
		name := strings.TrimPrefix(src, "/dev/")
		if slices.Contains(defaultDeviceNames, name) || name == "console" || name == "ptmx" || strings.HasPrefix(name, "tty") {
			continue
		}
		if !isDeviceNode(src) || checkDevice(src, "rw") != nil {
			continue
		}
		out = append(out, specs.Mount{Destination: src, Type: "bind", Source: src, Options: []string{"bind", "nosuid", "noexec"}})
	}
	return out
}

// isDeviceNode reports whether path itself, not what a symlink there
// leads to, is a character or block device.
func isDeviceNode(path string) bool {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR || st.Mode&unix.S_IFMT == unix.S_IFBLK
}

// BindDevice is a device node bound from the host: host (a device the
// caller may open as perms, r, w and m, asks) at ctr in the container,
// bound read-only without w as --device's are (which does not stop
// writes to a device node: the kernel checks a read-only mount for files,
// directories and links only, and a rootless container has no device
// cgroup). CDI's device nodes come this way (package cdi).
func BindDevice(host, ctr, perms string) (specs.Mount, error) {
	if perms == "" || strings.Trim(perms, "rwm") != "" {
		return specs.Mount{}, fmt.Errorf("permissions %q: give a combination of r, w and m", perms)
	}
	if !path.IsAbs(ctr) || !strings.HasPrefix(path.Clean(ctr), "/dev/") {
		return specs.Mount{}, fmt.Errorf("the container path %q must be below /dev", ctr)
	}
	if err := checkDevice(filepath.Clean(host), perms); err != nil {
		return specs.Mount{}, err
	}
	return deviceMount(filepath.Clean(host), path.Clean(ctr), perms), nil
}

func deviceMount(src, dst, perms string) specs.Mount {
	opts := []string{"bind", "nosuid", "noexec"}
	if !strings.Contains(perms, "w") {
		opts = append(opts, "ro")
	}
	return specs.Mount{Destination: dst, Type: "bind", Source: src, Options: opts}
}
