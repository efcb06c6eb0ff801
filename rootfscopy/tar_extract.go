package rootfscopy

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// ownership says who owns what extract creates.
type ownership int

const (
	// ownCaller leaves files to whoever extracts them: on the host, the
	// calling user.
	ownCaller ownership = iota
	// ownRoot gives them to uid 0 and gid 0 (docker cp into a container).
	ownRoot
	// ownArchive gives them the archive's uid and gid (docker cp -a).
	ownArchive
)

// extractor unpacks a tar stream into plan.Dir as docker cp does: missing
// parent directories are made, an existing file is replaced, a directory
// and a non-directory never replace each other, modes and mtimes are
// kept. Names never resolve outside scope: a ".." entry is refused, and a
// symlink (in the archive or already there) is followed only within scope.
type extractor struct {
	scope string
	plan  Plan
	own   ownership
	// warn receives notes on entries that cannot be made (devices).
	warn io.Writer
	// dirs get their modes and times once their contents are in.
	dirs []dirMeta
}

type dirMeta struct {
	path  string
	mode  int64
	mtime time.Time
}

// ErrEscape refuses an archive entry that names a path outside the
// destination.
var ErrEscape = errors.New("names a path outside the destination")

func extract(r io.Reader, scope string, plan Plan, own ownership, warn io.Writer) error {
	x := &extractor{scope: scope, plan: plan, own: own, warn: warn}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read the archive: %w", err)
		}
		if err := x.entry(hdr, tr); err != nil {
			return err
		}
	}
	// Innermost first: a directory's time changes when an entry is made
	// in it, and a read-only one takes no entries.
	for i := len(x.dirs) - 1; i >= 0; i-- {
		d := x.dirs[i]
		if err := os.Chmod(d.path, os.FileMode(d.mode&0o777)|modeBits(d.mode)); err != nil {
			return fmt.Errorf("set the mode of %s: %w", d.path, err)
		}
		if err := os.Chtimes(d.path, d.mtime, d.mtime); err != nil {
			return fmt.Errorf("set the times of %s: %w", d.path, err)
		}
	}
	// Drain the archive's end, so the writer never sees a broken pipe.
	_, err := io.Copy(io.Discard, r)
	return err
}

// modeBits turns tar's setuid, setgid and sticky bits into Go's.
func modeBits(mode int64) os.FileMode {
	var m os.FileMode
	if mode&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// relName cleans an entry's name into a path relative to the destination,
// refusing one that climbs out of it.
func relName(name string) (string, error) {
	c := filepath.Clean(name)
	if c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("archive entry %q %w", name, ErrEscape)
	}
	c = strings.TrimLeft(c, "/")
	if c == "" {
		c = "."
	}
	return c, nil
}

// resolve returns where the entry rel goes: its parent's path with every
// symlink resolved inside scope, and its own name, not resolved (an
// existing symlink there is replaced, never followed).
func (x *extractor) resolve(rel string) (string, error) {
	parent := filepath.Join(x.plan.Dir, filepath.Dir(rel))
	inScope, err := filepath.Rel(x.scope, parent)
	if err != nil || inScope == ".." || strings.HasPrefix(inScope, "../") {
		return "", fmt.Errorf("archive entry %q %w", rel, ErrEscape)
	}
	dir, err := securejoin.SecureJoin(x.scope, inScope)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", parent, err)
	}
	return filepath.Join(dir, filepath.Base(rel)), nil
}

func (x *extractor) entry(hdr *tar.Header, body io.Reader) error {
	rel, err := relName(x.plan.rebase(hdr.Name))
	if err != nil {
		return err
	}
	isDir := hdr.Typeflag == tar.TypeDir
	if rel == "." {
		return nil // the destination directory itself, which exists
	}
	switch hdr.Typeflag {
	case tar.TypeDir, tar.TypeReg, tar.TypeRegA, tar.TypeSymlink, tar.TypeLink, tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
	default:
		return nil // global headers and the like carry no file
	}
	path, err := x.resolve(rel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create directory %s: %w", filepath.Dir(path), err)
	}
	if fi, err := os.Lstat(path); err == nil {
		switch {
		case fi.IsDir() && !isDir:
			return fmt.Errorf("cannot overwrite directory %s with non-directory %s", path, hdr.Name)
		case !fi.IsDir() && isDir:
			return fmt.Errorf("cannot overwrite non-directory %s with directory %s", path, hdr.Name)
		case !isDir:
			if err := os.Remove(path); err != nil {
				return fmt.Errorf("replace %s: %w", path, err)
			}
		}
	}
	made, err := x.create(hdr, path, body)
	if err != nil || !made {
		return err
	}
	return x.setMeta(hdr, path)
}

// create makes the entry's file; it returns false for one it skipped.
func (x *extractor) create(hdr *tar.Header, path string, body io.Reader) (bool, error) {
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(path, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
			return false, fmt.Errorf("create directory %s: %w", path, err)
		}
		x.dirs = append(x.dirs, dirMeta{path: path, mode: hdr.Mode, mtime: hdr.ModTime})
	case tar.TypeReg, tar.TypeRegA:
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return false, fmt.Errorf("create %s: %w", path, err)
		}
		_, err = io.Copy(f, body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return false, fmt.Errorf("write %s: %w", path, err)
		}
	case tar.TypeSymlink:
		if err := os.Symlink(hdr.Linkname, path); err != nil {
			return false, fmt.Errorf("create symlink %s: %w", path, err)
		}
	case tar.TypeLink:
		rel, err := relName(x.plan.rebase(hdr.Linkname))
		if err != nil {
			return false, err
		}
		target, err := x.resolve(rel)
		if err != nil {
			return false, err
		}
		if err := os.Link(target, path); err != nil {
			return false, fmt.Errorf("create hard link %s: %w", path, err)
		}
		return false, nil // the link shares its target's metadata
	case tar.TypeFifo:
		if err := unix.Mkfifo(path, 0o600); err != nil {
			return false, fmt.Errorf("create fifo %s: %w", path, err)
		}
	case tar.TypeChar, tar.TypeBlock:
		mode := uint32(unix.S_IFCHR)
		if hdr.Typeflag == tar.TypeBlock {
			mode = unix.S_IFBLK
		}
		err := unix.Mknod(path, mode|0o600, int(unix.Mkdev(uint32(hdr.Devmajor), uint32(hdr.Devminor))))
		if errors.Is(err, unix.EPERM) {
			fmt.Fprintf(x.warn, "urun: skipped device file %s: devices cannot be created without privileges\n", hdr.Name)
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("create device %s: %w", path, err)
		}
	}
	return true, nil
}

// setMeta gives a new file its owner, mode and times (a directory's mode
// and times wait until its contents are in).
func (x *extractor) setMeta(hdr *tar.Header, path string) error {
	switch x.own {
	case ownRoot:
		if err := os.Lchown(path, 0, 0); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	case ownArchive:
		if err := os.Lchown(path, hdr.Uid, hdr.Gid); err != nil {
			return fmt.Errorf("chown %s to %d:%d (is it mapped in the container?): %w", path, hdr.Uid, hdr.Gid, err)
		}
	}
	if hdr.Typeflag == tar.TypeDir {
		return nil
	}
	if hdr.Typeflag != tar.TypeSymlink {
		// After chown, which clears setuid and setgid.
		if err := os.Chmod(path, os.FileMode(hdr.Mode&0o777)|modeBits(hdr.Mode)); err != nil {
			return fmt.Errorf("set the mode of %s: %w", path, err)
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(hdr.ModTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set the times of %s: %w", path, err)
	}
	return nil
}
