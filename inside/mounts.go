package inside

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountFlags are the options that are flags to mount(2); the rest go to the
// file system as data.
var mountFlags = map[string]struct {
	set   bool
	flags uintptr
}{
	"ro":          {true, unix.MS_RDONLY},
	"rw":          {false, unix.MS_RDONLY},
	"nosuid":      {true, unix.MS_NOSUID},
	"nodev":       {true, unix.MS_NODEV},
	"noexec":      {true, unix.MS_NOEXEC},
	"suid":        {false, unix.MS_NOSUID},
	"dev":         {false, unix.MS_NODEV},
	"exec":        {false, unix.MS_NOEXEC},
	"bind":        {true, unix.MS_BIND},
	"rbind":       {true, unix.MS_BIND | unix.MS_REC},
	"strictatime": {true, unix.MS_STRICTATIME},
	"relatime":    {true, unix.MS_RELATIME},
	"noatime":     {true, unix.MS_NOATIME},
}

var propagationFlags = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
}

func parseOptions(opts []string) (flags uintptr, propagation uintptr, data string) {
	var extra []string
	for _, o := range opts {
		if f, ok := mountFlags[o]; ok {
			if f.set {
				flags |= f.flags
			} else {
				flags &^= f.flags
			}
		} else if p, ok := propagationFlags[o]; ok {
			propagation = p
		} else {
			extra = append(extra, o)
		}
	}
	return flags, propagation, strings.Join(extra, ",")
}

// mountAll mounts the spec's mounts under rootfs, shallow destinations
// first so that a mount is never hidden by its parent's.
func mountAll(rootfs string, mounts []specs.Mount) error {
	sorted := append([]specs.Mount{}, mounts...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return depth(sorted[i].Destination) < depth(sorted[j].Destination)
	})
	for _, m := range sorted {
		if err := mountOne(rootfs, m); err != nil {
			return err
		}
		if m.Destination == "/dev" {
			if err := populateDev(rootfs); err != nil {
				return err
			}
		}
	}
	return nil
}

func depth(p string) int { return strings.Count(filepath.Clean(p), "/") }

func mountOne(rootfs string, m specs.Mount) error {
	// Resolve the destination inside rootfs: a symlink in the image must
	// not point a mount at the host.
	dest, err := securejoin.SecureJoin(rootfs, m.Destination)
	if err != nil {
		return fmt.Errorf("resolve mount destination %s: %w", m.Destination, err)
	}
	flags, propagation, data := parseOptions(m.Options)
	isBind := flags&unix.MS_BIND != 0
	if err := makeMountpoint(dest, m.Source, isBind); err != nil {
		return fmt.Errorf("create mount point %s: %w", m.Destination, err)
	}
	if isBind {
		if err := unix.Mount(m.Source, dest, "", flags&(unix.MS_BIND|unix.MS_REC), ""); err != nil {
			return fmt.Errorf("bind %s on %s: %w", m.Source, m.Destination, err)
		}
		// A bind mount takes flags only by a remount, and in a user
		// namespace the source's locked flags must be kept: mount_setattr
		// changes only what is asked, for the whole tree.
		var attr unix.MountAttr
		for flag, a := range map[uintptr]uint64{unix.MS_RDONLY: unix.MOUNT_ATTR_RDONLY, unix.MS_NOSUID: unix.MOUNT_ATTR_NOSUID,
			unix.MS_NODEV: unix.MOUNT_ATTR_NODEV, unix.MS_NOEXEC: unix.MOUNT_ATTR_NOEXEC} {
			if flags&flag != 0 {
				attr.Attr_set |= a
			}
		}
		if attr.Attr_set != 0 {
			if err := unix.MountSetattr(-1, dest, unix.AT_RECURSIVE, &attr); err != nil {
				return fmt.Errorf("set options %v on %s: %w", m.Options, m.Destination, err)
			}
		}
	} else {
		err := unix.Mount(m.Source, dest, m.Type, flags, data)
		if err != nil && m.Type == "devpts" && strings.Contains(data, "gid=") {
			// gid 5 (tty) is not mapped when the subgid range is tiny.
			err = unix.Mount(m.Source, dest, m.Type, flags, dropOption(data, "gid="))
		}
		if err != nil {
			return fmt.Errorf("mount %s on %s: %w", m.Type, m.Destination, err)
		}
	}
	if propagation != 0 {
		if err := unix.Mount("", dest, "", propagation, ""); err != nil {
			return fmt.Errorf("set propagation of %s: %w", m.Destination, err)
		}
	}
	return nil
}

func dropOption(data, prefix string) string {
	var kept []string
	for _, o := range strings.Split(data, ",") {
		if !strings.HasPrefix(o, prefix) {
			kept = append(kept, o)
		}
	}
	return strings.Join(kept, ",")
}

// makeMountpoint creates dest as a directory, or as an empty file when a
// file is bound onto it.
func makeMountpoint(dest, source string, isBind bool) error {
	if isBind {
		st, err := os.Stat(source)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			// Opening a file the image has for writing would copy it up
			// into the container's layer (and cost the copy).
			if _, err := os.Stat(dest); err == nil {
				return nil
			}
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(dest, os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil && !errors.Is(err, unix.EISDIR) {
				return err
			}
			if f != nil {
				f.Close()
			}
			return nil
		}
	}
	return os.MkdirAll(dest, 0o755)
}

// pivotRoot makes rootfs the root and drops the old root from view.
func pivotRoot(rootfs string) error {
	if err := unix.Chdir(rootfs); err != nil {
		return fmt.Errorf("enter rootfs: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on the new one, then it is
	// detached; no directory for the old root is needed in the image.
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", rootfs, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	return unix.Chdir("/")
}
