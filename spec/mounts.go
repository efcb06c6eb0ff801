package spec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ParseVolume parses -v as Docker does: HOST-DIR:CONTAINER-DIR[:OPTIONS]
// binds a host directory, NAME:CONTAINER-DIR[:OPTIONS] mounts the named
// volume NAME (a mount of Type VolumeType, Source NAME) and a lone
// CONTAINER-DIR an anonymous volume (Source ""). OPTIONS is a comma list
// of ro, rw, z, Z (accepted and ignored: no SELinux here), propagation
// modes, nocopy (no copy-up into a new volume) and U (podman's: chown the
// source to the container's user).
func ParseVolume(v string) (specs.Mount, error) {
	if err := checkText("-v/--volume", v); err != nil {
		return specs.Mount{}, err
	}
	parts := strings.Split(v, ":")
	if len(parts) == 1 {
		if err := checkDestination(v); err != nil {
			return specs.Mount{}, fmt.Errorf("-v/--volume %q: %w", v, err)
		}
		return specs.Mount{Destination: filepath.Clean(v), Type: VolumeType}, nil
	}
	if len(parts) > 3 {
		return specs.Mount{}, fmt.Errorf("-v/--volume %q: want HOST-DIR:CONTAINER-DIR[:ro], NAME:CONTAINER-DIR[:ro] or CONTAINER-DIR", v)
	}
	src, dst := parts[0], parts[1]
	typ := "bind"
	// As Docker 23+: a source starting with "." is a host directory
	// relative to the current one.
	if src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../") {
		abs, err := filepath.Abs(src)
		if err != nil {
			return specs.Mount{}, fmt.Errorf("-v/--volume %q: resolve %s against the current directory: %w", v, src, err)
		}
		src = abs
	}
	if !filepath.IsAbs(src) {
		if err := CheckVolumeName(src); err != nil {
			return specs.Mount{}, fmt.Errorf("-v/--volume %q: %w; a host directory must be given as an absolute path", v, err)
		}
		typ = VolumeType
	}
	if err := checkDestination(dst); err != nil {
		return specs.Mount{}, fmt.Errorf("-v/--volume %q: %w", v, err)
	}
	var opts []string
	if typ == "bind" {
		opts = []string{"rbind"}
	}
	if len(parts) == 3 {
		// Docker's "invalid mode": one access mode, one propagation.
		var access, propagation, copyMode string
		for _, o := range strings.Split(parts[2], ",") {
			var kind *string
			switch o {
			case "ro", "rw":
				kind = &access
			case "z", "Z", "":
				continue
			case OptionChown:
				opts = append(opts, o)
				continue
			case "nocopy", "copy":
				if typ == "bind" {
					return specs.Mount{}, fmt.Errorf("-v/--volume %q: %s applies to volumes, not to a host directory", v, o)
				}
				kind = &copyMode
			case "private", "rprivate", "shared", "rshared", "slave", "rslave":
				kind = &propagation
			default:
				return specs.Mount{}, fmt.Errorf("-v/--volume %q: unknown option %q (want ro or rw)", v, o)
			}
			if *kind != "" {
				return specs.Mount{}, fmt.Errorf("-v/--volume %q: invalid mode %q: %s and %s conflict, give one", v, parts[2], *kind, o)
			}
			*kind = o
			if o == "copy" {
				continue
			}
			if o == "nocopy" {
				o = OptionNoCopy
			}
			opts = append(opts, o)
		}
	}
	if typ == VolumeType {
		return specs.Mount{Destination: filepath.Clean(dst), Type: VolumeType, Source: src, Options: opts}, nil
	}
	return specs.Mount{Destination: filepath.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: opts}, nil
}

// ParseMount parses --mount type=bind|volume|tmpfs,source=…,target=…[,readonly]
// with Docker's key names and aliases. A volume mount has Type VolumeType
// and Source the volume's name ("" for a new anonymous volume); its
// volume-opt values are options VolumeOptPrefix+KEY=VALUE.
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
		case "volume-nocopy":
			nocopy := true
			if hasVal {
				var err error
				if nocopy, err = strconv.ParseBool(val); err != nil {
					return specs.Mount{}, fmt.Errorf("--mount %q: %s=%s: want true or false", v, key, val)
				}
			}
			if nocopy {
				opts = append(opts, OptionNoCopy)
			}
		case "volume-opt":
			opts = append(opts, VolumeOptPrefix+val)
		case "volume-driver":
			if val != "local" {
				return specs.Mount{}, fmt.Errorf("--mount %q: volume-driver %q: only the local driver exists", v, val)
			}
		case "rw":
			// type=image's: a writable layer of the container's own
			// over the image.
			rw := true
			if hasVal {
				var err error
				if rw, err = strconv.ParseBool(val); err != nil {
					return specs.Mount{}, fmt.Errorf("--mount %q: %s=%s: want true or false", v, key, val)
				}
			}
			if rw {
				opts = append(opts, "rw")
			}
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
		if slices.ContainsFunc(opts, func(o string) bool { return o == OptionNoCopy || strings.HasPrefix(o, VolumeOptPrefix) }) {
			return specs.Mount{}, fmt.Errorf("--mount %q: volume-nocopy and volume-opt apply to volumes, not to type=bind", v)
		}
		if !filepath.IsAbs(src) {
			return specs.Mount{}, fmt.Errorf("--mount %q: a bind mount needs an absolute source=", v)
		}
		return specs.Mount{Destination: filepath.Clean(dst), Type: "bind", Source: filepath.Clean(src), Options: append([]string{"rbind"}, opts...)}, nil
	case VolumeType:
		if src != "" {
			if err := CheckVolumeName(src); err != nil {
				return specs.Mount{}, fmt.Errorf("--mount %q: %w", v, err)
			}
		}
		return specs.Mount{Destination: filepath.Clean(dst), Type: VolumeType, Source: src, Options: opts}, nil
	case "tmpfs":
		if slices.Contains(opts, "rw") {
			return specs.Mount{}, fmt.Errorf("--mount %q: rw= applies to type=image", v)
		}
		// Docker's defaults; tmpfs-mode and options given come after.
		return specs.Mount{Destination: filepath.Clean(dst), Type: "tmpfs", Source: "tmpfs", Options: append([]string{"nosuid", "nodev", "noexec", "mode=1777"}, opts...)}, nil
	case ImageType:
		if src == "" {
			return specs.Mount{}, fmt.Errorf("--mount %q: type=image needs source=IMAGE, a stored image", v)
		}
		if slices.Contains(opts, "rw") && slices.Contains(opts, "ro") {
			return specs.Mount{}, fmt.Errorf("--mount %q: rw and readonly conflict, give one", v)
		}
		if !slices.Contains(opts, "rw") {
			opts = []string{"ro"}
		}
		return specs.Mount{Destination: filepath.Clean(dst), Type: ImageType, Source: src, Options: opts}, nil
	case "":
		return specs.Mount{}, fmt.Errorf("--mount %q: type= is required (bind, volume, tmpfs or image)", v)
	default:
		return specs.Mount{}, fmt.Errorf("--mount %q: type %q is not supported (bind, volume, tmpfs or image)", v, typ)
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
