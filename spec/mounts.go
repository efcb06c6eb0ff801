package spec

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ParseVolume parses -v HOST:CONTAINER[:OPTIONS] with OPTIONS a comma list
// of ro, rw, z, Z (accepted and ignored: no SELinux here) and propagation
// modes. Docker's named volumes are not supported yet.
func ParseVolume(v string) (specs.Mount, error) {
	if err := checkText("-v/--volume", v); err != nil {
		return specs.Mount{}, err
	}
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return specs.Mount{}, fmt.Errorf("-v/--volume %q: want HOST-DIR:CONTAINER-DIR[:ro]", v)
	}
	src, dst := parts[0], parts[1]
	if !filepath.IsAbs(src) {
		return specs.Mount{}, fmt.Errorf("-v/--volume %q: the host path must be absolute (named volumes are not supported yet)", v)
	}
	if err := checkDestination(dst); err != nil {
		return specs.Mount{}, fmt.Errorf("-v/--volume %q: %w", v, err)
	}
	opts := []string{"rbind"}
	if len(parts) == 3 {
		// Docker's "invalid mode": one access mode, one propagation.
		var access, propagation string
		for _, o := range strings.Split(parts[2], ",") {
			var kind *string
			switch o {
			case "ro", "rw":
				kind = &access
			case "z", "Z", "":
				continue
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				kind = &propagation
			default:
				return specs.Mount{}, fmt.Errorf("-v/--volume %q: unknown option %q (want ro or rw)", v, o)
			}
			if *kind != "" {
				return specs.Mount{}, fmt.Errorf("-v/--volume %q: invalid mode %q: %s and %s conflict, give one", v, parts[2], *kind, o)
			}
			*kind = o
			opts = append(opts, o)
		}
	}
	return specs.Mount{Destination: filepath.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: opts}, nil
}

// ParseMount parses --mount type=bind|tmpfs,source=…,target=…[,readonly]
// with Docker's key names and aliases.
func ParseMount(v string) (specs.Mount, error) {
	if err := checkText("--mount", v); err != nil {
		return specs.Mount{}, err
	}
	var typ, src, dst string
	var opts []string
	for _, field := range strings.Split(v, ",") {
		key, val, hasVal := strings.Cut(field, "=")
		switch strings.ToLower(key) {
		case "type":
			typ = val
		case "source", "src":
			src = val
		case "target", "destination", "dst":
			dst = val
		case "readonly", "ro":
			ro := true
			if hasVal {
				var err error
				if ro, err = strconv.ParseBool(val); err != nil {
					return specs.Mount{}, fmt.Errorf("--mount %q: %s=%s: want true or false", v, key, val)
				}
			}
			if ro {
				opts = append(opts, "ro")
			}
		case "bind-propagation":
			opts = append(opts, val)
		case "tmpfs-size":
			opts = append(opts, "size="+val)
		case "tmpfs-mode":
			opts = append(opts, "mode="+val)
		default:
			return specs.Mount{}, fmt.Errorf("--mount %q: unknown key %q", v, key)
		}
	}
	if err := checkDestination(dst); err != nil {
		return specs.Mount{}, fmt.Errorf("--mount %q: %w", v, err)
	}
	switch typ {
	case "bind":
		if !filepath.IsAbs(src) {
			return specs.Mount{}, fmt.Errorf("--mount %q: a bind mount needs an absolute source=", v)
		}
		return specs.Mount{Destination: filepath.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: append([]string{"rbind"}, opts...)}, nil
	case "tmpfs":
		return specs.Mount{Destination: filepath.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: append([]string{"nosuid", "nodev"}, opts...)}, nil
	case "":
		return specs.Mount{}, fmt.Errorf("--mount %q: type= is required (bind or tmpfs)", v)
	default:
		return specs.Mount{}, fmt.Errorf("--mount %q: type %q is not supported (bind or tmpfs)", v, typ)
	}
}

// ParseTmpfs parses --tmpfs PATH[:OPTIONS].
func ParseTmpfs(v string) (specs.Mount, error) {
	if err := checkText("--tmpfs", v); err != nil {
		return specs.Mount{}, err
	}
	dst, options, _ := strings.Cut(v, ":")
	if err := checkDestination(dst); err != nil {
		return specs.Mount{}, fmt.Errorf("--tmpfs %q: %w", v, err)
	}
	opts := []string{"nosuid", "nodev", "noexec"}
	if options != "" {
		opts = append(opts, strings.Split(options, ",")...)
	}
	return specs.Mount{Destination: filepath.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: opts}, nil
}

func checkDestination(dst string) error {
	if dst == "" {
		return fmt.Errorf("the container path is empty")
	}
	if !filepath.IsAbs(dst) {
		return fmt.Errorf("the container path %q must be absolute", dst)
	}
	clean := filepath.Clean(dst)
	switch {
	case clean == "/":
		return fmt.Errorf("cannot mount over the container's /")
	case clean == "/proc" || strings.HasPrefix(clean, "/proc/"):
		// Masked and read-only paths, and urun itself, rely on /proc
		// being the kernel's.
		return fmt.Errorf("cannot mount on %s: /proc is the kernel's in every container; choose another path", clean)
	case clean == "/dev":
		return fmt.Errorf("cannot mount on /dev: urun fills the container's /dev itself; bind a device with --device, or mount below /dev")
	}
	return nil
}
