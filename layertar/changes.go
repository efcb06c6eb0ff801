package layertar

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// The kinds of Change, as `docker diff` prints them.
const (
	Added   = 'A'
	Changed = 'C'
	Deleted = 'D'
)

// Change is one line of `urun diff`: a path of the container (absolute)
// that its writable layer adds, changes or deletes.
type Change struct {
	Kind byte
	Path string
}

// String is the change as `docker diff` prints it: "A /etc/motd".
func (c Change) String() string { return string(c.Kind) + " " + c.Path }

// Changes lists what the overlay upper directory upperDir changes in the
// layers below it, in the order `docker diff` prints: depth first, a
// directory before what it holds, each directory's entries by name.
// existsBelow says whether a path ("etc/passwd") exists in the layers
// below; it is asked only about paths whose parent directory does and is
// not opaque.
//
// A whiteout is D. Anything else is C if it exists below, else A. A
// directory that exists below is C when something under it is reported,
// when it is opaque, or when it holds nothing in the upper directory (it
// was copied up for its own sake: chmod, chown, touch); one copied up only
// to hold other files is not. What an opaque directory hides is not
// listed: its entries in the upper directory are A.
//
// mountpoints ("etc/hosts", "proc") are where the runtime mounts onto
// every container: it makes them in the upper directory when the layers
// below lack them, and opening a file there to mount onto copies it up.
// A regular file there, or an empty directory, is the runtime's doing,
// not the container's (whose writes go to what is mounted on it), and is
// left out.
func Changes(upperDir string, existsBelow func(rel string) bool, mountpoints ...string) ([]Change, error) {
	w := &changeWalk{existsBelow: existsBelow, mountpoints: map[string]bool{}}
	for _, m := range mountpoints {
		w.mountpoints[strings.Trim(path.Clean("/"+m), "/")] = true
	}
	out, _, err := w.dir(upperDir, "", true)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Change) int { return comparePaths(a.Path, b.Path) })
	return out, nil
}

// comparePaths orders paths as a depth-first walk meets them, names in
// byte order: "/a", "/a/b", "/a.txt".
func comparePaths(a, b string) int {
	return strings.Compare(strings.ReplaceAll(a, "/", "\x00"), strings.ReplaceAll(b, "/", "\x00"))
}

type changeWalk struct {
	existsBelow func(string) bool
	mountpoints map[string]bool
}

// dir lists the changes under the upper directory p, which is rel in the
// container; below says whether the layers below may hold its entries
// (rel exists there and p is not opaque). entries is how many p holds.
func (w *changeWalk) dir(p, rel string, below bool) (out []Change, entries int, err error) {
	names, err := readDirNames(p)
	if err != nil {
		return nil, 0, err
	}
	marks := 0
	for _, name := range names {
		childPath, childRel := filepath.Join(p, name), path.Join(rel, name)
		if name == OpaqueWhiteout {
			marks++
			continue // the directory's own mark, read by isOpaque
		}
		var st unix.Stat_t
		if err := unix.Lstat(childPath, &st); err != nil {
			return nil, 0, fmt.Errorf("read %s: %w", childPath, err)
		}
		mode := st.Mode & unix.S_IFMT
		whiteoutDevice := mode == unix.S_IFCHR && st.Rdev == 0
		if target, ok := strings.CutPrefix(name, WhiteoutPrefix); ok {
			if whiteoutDevice {
				marks++
				continue // fuse-overlayfs's mark of an opaque directory
			}
			// fuse-overlayfs's whiteout, where it could not make a device.
			out = append(out, Change{Deleted, "/" + path.Join(rel, target)})
			continue
		}
		if whiteoutDevice {
			out = append(out, Change{Deleted, "/" + childRel})
			continue
		}
		existed := below && w.existsBelow(childRel)
		if mode != unix.S_IFDIR {
			if mode == unix.S_IFREG && w.mountpoints[childRel] {
				continue
			}
			kind := byte(Added)
			if existed {
				kind = Changed
			}
			out = append(out, Change{kind, "/" + childRel})
			continue
		}
		opaque, err := isOpaque(childPath)
		if err != nil {
			return nil, 0, err
		}
		sub, subEntries, err := w.dir(childPath, childRel, existed && !opaque)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case subEntries == 0 && w.mountpoints[childRel]:
			continue
		case !existed:
			out = append(out, Change{Added, "/" + childRel})
		case len(sub) > 0 || opaque || subEntries == 0:
			out = append(out, Change{Changed, "/" + childRel})
		}
		out = append(out, sub...)
	}
	return out, len(names) - marks, nil
}

// opaqueXattrs mark a directory that hides the lower layers' one: the
// kernel's overlay (trusted.* as root, user.* with userxattr) and
// fuse-overlayfs.
var opaqueXattrs = []string{"user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque", "trusted.fuseoverlayfs.opaque"}

// isOpaque says whether the directory p hides what the layers below have
// at its path: an opaque extended attribute, or a ".wh..wh..opq" file in it.
func isOpaque(p string) (bool, error) {
	buf := make([]byte, 8)
	for _, name := range opaqueXattrs {
		n, err := unix.Lgetxattr(p, name, buf)
		switch {
		case err == nil:
			if n == 1 && buf[0] == 'y' {
				return true, nil
			}
		case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP), errors.Is(err, unix.EPERM), errors.Is(err, unix.ERANGE):
			// Not set, not readable here (trusted.* needs root), or no
			// single "y".
		default:
			return false, fmt.Errorf("read extended attribute %s of %s: %w", name, p, err)
		}
	}
	_, err := os.Lstat(filepath.Join(p, OpaqueWhiteout))
	if err == nil {
		return true, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return false, fmt.Errorf("read %s: %w", p, err)
	}
	return false, nil
}

// Below is existsBelow for the layer directories lower, top first, each
// in an overlay's format (deleted files as whiteouts, directories made
// opaque): whether the union of those layers holds rel.
func Below(lower []string) func(rel string) bool {
	return func(rel string) bool {
		parts := strings.Split(strings.Trim(path.Clean("/"+rel), "/"), "/")
		for _, layer := range lower {
			found, final := lookIn(layer, parts)
			if final {
				return found
			}
		}
		return false
	}
}

// lookIn looks for the path parts in one layer. final says whether this
// layer decides: it holds the path, or hides it (a whiteout of it or of a
// directory above it, a file in place of such a directory, an opaque
// directory above it without the path).
func lookIn(layer string, parts []string) (found, final bool) {
	p := layer
	opaqueAbove := false
	for i, part := range parts {
		parent := p
		p = filepath.Join(p, part)
		if _, err := os.Lstat(filepath.Join(parent, WhiteoutPrefix+part)); err == nil {
			return false, true
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			// Not here: the layers below decide, unless an opaque
			// directory on the way hides them.
			return false, opaqueAbove
		}
		mode := st.Mode & unix.S_IFMT
		if mode == unix.S_IFCHR && st.Rdev == 0 {
			return false, true
		}
		if i == len(parts)-1 {
			return true, true
		}
		if mode != unix.S_IFDIR {
			return false, true
		}
		if opaque, err := isOpaque(p); err == nil && opaque {
			opaqueAbove = true
		}
	}
	return false, opaqueAbove
}
