package inside

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// maskPaths hides each path as Docker does: a file under /dev/null, a
// directory under an empty read-only tmpfs. It runs after pivot_root, so a
// symlink on the way resolves inside the container's root, never the
// host's. A path the kernel or image does not have is skipped.
func maskPaths(paths []string) error {
	for _, p := range paths {
		st, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
		if st.IsDir() {
			err = unix.Mount("tmpfs", p, "tmpfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=0,mode=0555")
		} else {
			err = unix.Mount("/dev/null", p, "", unix.MS_BIND, "")
		}
		if err != nil {
			return fmt.Errorf("mask %s: %w", p, err)
		}
	}
	return nil
}

// readonlyPaths makes each path a read-only bind of itself.
func readonlyPaths(paths []string) error {
	for _, p := range paths {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := unix.Mount(p, p, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("make %s read-only: bind it: %w", p, err)
		}
		if err := remountReadOnly(p); err != nil {
			return err
		}
	}
	return nil
}

// remountReadOnly turns the mount at p read-only. The remount must repeat
// the flags it already has: in a user namespace the kernel refuses to
// clear nosuid, nodev or noexec of a mount its parent namespace made.
func remountReadOnly(p string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(p, &st); err != nil {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	flags := uintptr(unix.MS_BIND | unix.MS_REMOUNT | unix.MS_RDONLY)
	for _, f := range []struct{ st, ms uintptr }{
		{unix.ST_NOSUID, unix.MS_NOSUID}, {unix.ST_NODEV, unix.MS_NODEV}, {unix.ST_NOEXEC, unix.MS_NOEXEC},
		{unix.ST_NOATIME, unix.MS_NOATIME}, {unix.ST_NODIRATIME, unix.MS_NODIRATIME}, {unix.ST_RELATIME, unix.MS_RELATIME},
	} {
		if uintptr(st.Flags)&f.st != 0 {
			flags |= f.ms
		}
	}
	if err := unix.Mount("", p, "", flags, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", p, err)
	}
	return nil
}

// confineFileSystem hides the masked paths, makes the read-only ones so
// and, for --read-only, the root itself (its own tmpfs mounts stay
// writable).
func confineFileSystem(masked, readonly []string, readonlyRoot bool) error {
	if err := maskPaths(masked); err != nil {
		return err
	}
	if err := readonlyPaths(readonly); err != nil {
		return err
	}
	if readonlyRoot {
		return remountReadOnly("/")
	}
	return nil
}
