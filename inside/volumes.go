package inside

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/spec"
)

// volumeDataDir is the name of a volume's data directory in its own
// directory (package volumes).
const (
	volumeDataDir = "_data"
	volumeSetUp   = "set-up"
	volumeLock    = "lock"
)

// setUpVolumes does, before the mounts are made, what the container's
// volumes need from the root of its user namespace, who alone can give
// files to the container's users: a volume used for the first time gets
// the content of the image's directory it covers, with its owners, modes
// and times (Docker's copy-up), or, when there is none, belongs to the
// container's user (as podman does), so that --user 1000 can write to
// it; a mount with U is given to the container's user at each start.
func setUpVolumes(rootfs string, vols []spec.VolumeMount, userSpec string) error {
	var user *ExecUser
	owner := func() (ExecUser, error) {
		if user == nil {
			u, err := resolveUserIn(rootfs, userSpec)
			if err != nil {
				return u, err
			}
			user = &u
		}
		return *user, nil
	}
	for _, v := range vols {
		if v.Dir != "" && !v.Inherited {
			if err := setUpOnce(rootfs, v, owner); err != nil {
				return fmt.Errorf("set up volume %s on %s: %w", v.Name, v.Destination, err)
			}
		}
		if v.Chown {
			u, err := owner()
			if err != nil {
				return err
			}
			if err := chownTree(v.Source, int(u.UID), int(u.GID)); err != nil {
				return fmt.Errorf("give %s to the container's user %d:%d (:U): %w", v.Source, u.UID, u.GID, err)
			}
		}
	}
	return nil
}

// resolveUserIn resolves the container's user in the image's own
// /etc/passwd and /etc/group, before the root is pivoted into.
func resolveUserIn(rootfs, userSpec string) (ExecUser, error) {
	read := func(name string) []byte {
		path, err := securejoin.SecureJoin(rootfs, name)
		if err != nil {
			return nil
		}
		data, _ := os.ReadFile(path)
		return data
	}
	u, err := ResolveUser(userSpec, bytes.NewReader(read("/etc/passwd")), bytes.NewReader(read("/etc/group")))
	if err != nil {
		return u, fmt.Errorf("resolve user %q in the container: %w", userSpec, err)
	}
	return u, nil
}

// setUpOnce sets volume v up unless it was already: the first container
// that mounts it does it, under the volume's lock, and marks it done, as
// Docker copies only once even if the volume is emptied later.
func setUpOnce(rootfs string, v spec.VolumeMount, owner func() (ExecUser, error)) error {
	lock, err := os.OpenFile(filepath.Join(v.Dir, volumeLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	mark := filepath.Join(v.Dir, volumeSetUp)
	if _, err := os.Lstat(mark); err == nil {
		return nil
	}
	empty, err := isEmptyDir(v.Source)
	if err != nil {
		return err
	}
	if empty {
		copied := false
		if !v.NoCopy {
			if copied, err = copyUp(rootfs, v); err != nil {
				return err
			}
		}
		// Only the volume's own data directory: a type=none volume binds
		// a host directory that stays the user's.
		if !copied && v.Source == filepath.Join(v.Dir, volumeDataDir) {
			u, err := owner()
			if err != nil {
				return err
			}
			if u.UID != 0 || u.GID != 0 {
				if err := os.Lchown(v.Source, int(u.UID), int(u.GID)); err != nil {
					return fmt.Errorf("give it to the container's user %d:%d: %w", u.UID, u.GID, err)
				}
			}
		}
	}
	f, err := os.Create(mark)
	if err != nil {
		return fmt.Errorf("mark it set up: %w", err)
	}
	return f.Close()
}

// copyUp copies the image's directory at the volume's destination into
// the volume, if it has one with content.
func copyUp(rootfs string, v spec.VolumeMount) (bool, error) {
	src, err := securejoin.SecureJoin(rootfs, v.Destination)
	if err != nil {
		return false, err
	}
	st, err := os.Lstat(src)
	if err != nil || !st.IsDir() {
		return false, nil
	}
	if empty, err := isEmptyDir(src); err != nil || empty {
		return false, err
	}
	if err := copyTree(src, v.Source); err != nil {
		return false, fmt.Errorf("copy the image's %s into it: %w", v.Destination, err)
	}
	return true, nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// copyTree copies the content of directory src into the existing
// directory dst, with owners, modes (setuid bits too), times and hard
// links, and then gives dst src's own owner, mode and times.
func copyTree(src, dst string) error {
	type dirAttrs struct {
		path string
		st   unix.Stat_t
	}
	var dirs []dirAttrs
	links := map[[2]uint64]string{}
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return err
		}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if rel != "." {
				if err := os.Mkdir(target, 0o700); err != nil {
					return err
				}
			}
			// Owners, modes and times of directories come last: their
			// content changes their times, and a read-only one could not
			// be filled.
			dirs = append(dirs, dirAttrs{target, st})
			return nil
		case unix.S_IFREG:
			key := [2]uint64{st.Dev, st.Ino}
			if first, ok := links[key]; ok && st.Nlink > 1 {
				return os.Link(first, target)
			}
			if err := copyFile(path, target); err != nil {
				return err
			}
			if st.Nlink > 1 {
				links[key] = target
			}
		case unix.S_IFLNK:
			dest, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(dest, target); err != nil {
				return err
			}
		default:
			// Devices cannot be made in a user namespace; fifos and
			// sockets can.
			if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
				if errors.Is(err, unix.EPERM) {
					return nil
				}
				return fmt.Errorf("make %s: %w", target, err)
			}
		}
		return setAttrs(target, st)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := setAttrs(dirs[i].path, dirs[i].st); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// setAttrs gives path the owner, mode and times of st; the mode after the
// owner, which would clear setuid bits.
func setAttrs(path string, st unix.Stat_t) error {
	if err := os.Lchown(path, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFLNK {
		if err := unix.Chmod(path, st.Mode&0o7777); err != nil {
			return fmt.Errorf("chmod %s: %w", path, err)
		}
	}
	ts := []unix.Timespec{st.Atim, st.Mtim}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set the times of %s: %w", path, err)
	}
	return nil
}

// chownTree gives every file under dir to uid:gid.
func chownTree(dir string, uid, gid int) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, uid, gid)
	})
}
