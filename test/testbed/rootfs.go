package testbed

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// WriteRootfs unpacks img's layers, bottom first, into dir (created if
// missing; it must be empty) the way a container engine stacks them: a
// later layer's entry replaces an earlier one, a whiteout ".wh.NAME"
// removes NAME of the layers below, an opaque whiteout ".wh..wh..opq"
// empties its directory of what the layers below put there.
//
// The result is a plain directory tree for tools that take one (bwrap
// --bind DIR /). Owners are kept only when the caller is root (otherwise
// everything belongs to the caller, which is what a rootless sandbox maps
// anyway); modification times and extended attributes are not kept.
// Directory modes are applied last, so read-only directories get filled.
func (img *Image) WriteRootfs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s is not empty", dir)
	}
	u := &unpacker{root: dir, dirs: map[string]*tar.Header{}, asRoot: os.Geteuid() == 0}
	for i, l := range img.Layers {
		if err := u.layer(l.Data); err != nil {
			return fmt.Errorf("%s layer %d (%s): %w", img.Name(), i+1, l.Digest, err)
		}
	}
	return u.finishDirs()
}

type unpacker struct {
	root   string
	asRoot bool
	// dirs holds the header of every directory an entry created, applied
	// by finishDirs once every file is in place.
	dirs map[string]*tar.Header
	// current is the set of paths (relative, cleaned) the layer being
	// unpacked wrote: whiteouts remove only what lower layers wrote.
	current map[string]bool
}

func (u *unpacker) layer(data []byte) error {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return err
	}
	defer zr.Close()
	u.current = map[string]bool{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := u.entry(h, tr); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
	}
}

// clean returns name relative to the root, or an error if it leaves it.
func clean(name string) (string, error) {
	c := path.Clean(name)
	if path.IsAbs(c) || c == ".." || strings.HasPrefix(c, "../") {
		return "", fmt.Errorf("path %q leaves the root", name)
	}
	return c, nil
}

// remove removes rel and everything under it, and forgets its directories.
func (u *unpacker) remove(rel string) error {
	for d := range u.dirs {
		if d == rel || strings.HasPrefix(d, rel+"/") {
			delete(u.dirs, d)
		}
	}
	return os.RemoveAll(u.abs(rel))
}

func (u *unpacker) entry(h *tar.Header, r io.Reader) error {
	rel, err := clean(h.Name)
	if err != nil {
		return err
	}
	if rel == "." {
		return nil // the root itself: keep dir's own mode and owner
	}
	parent, base := path.Dir(rel), path.Base(rel)
	if err := u.parents(parent); err != nil {
		return err
	}
	switch {
	case base == ".wh..wh..opq":
		return u.opaque(parent)
	case strings.HasPrefix(base, ".wh."):
		return u.remove(path.Join(parent, strings.TrimPrefix(base, ".wh.")))
	}
	target := u.abs(rel)
	u.current[rel] = true
	if h.Typeflag == tar.TypeDir {
		if st, err := os.Lstat(target); err == nil && st.IsDir() {
			u.dirs[rel] = h
			return nil
		}
	}
	if err := u.remove(rel); err != nil {
		return err
	}
	mode := fs.FileMode(h.Mode).Perm()
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.Mkdir(target, 0o755); err != nil {
			return err
		}
		u.dirs[rel] = h
		return nil // mode and owner in finishDirs
	case tar.TypeReg:
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := os.Symlink(h.Linkname, target); err != nil {
			return err
		}
	case tar.TypeLink:
		old, err := clean(h.Linkname)
		if err != nil {
			return err
		}
		if err := os.Link(u.abs(old), target); err != nil {
			return err
		}
	default:
		return fmt.Errorf("entry type %q is not supported", h.Typeflag)
	}
	if u.asRoot {
		if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
			return err
		}
	}
	if h.Typeflag == tar.TypeReg {
		// After the chown, which clears the set-id bits.
		return os.Chmod(target, mode|setIDBits(h.Mode))
	}
	return nil
}

func setIDBits(mode int64) fs.FileMode {
	var m fs.FileMode
	if mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}

func (u *unpacker) abs(rel string) string { return filepath.Join(u.root, filepath.FromSlash(rel)) }

// parents makes sure every directory on the way to rel exists and is a real
// directory (not a symlink an earlier entry planted to lead out of root).
func (u *unpacker) parents(rel string) error {
	if rel == "." {
		return nil
	}
	p := ""
	for _, c := range strings.Split(rel, "/") {
		p = path.Join(p, c)
		st, err := os.Lstat(u.abs(p))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := os.Mkdir(u.abs(p), 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case !st.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		}
	}
	return nil
}

// opaque removes what the layers below put in the directory rel.
func (u *unpacker) opaque(rel string) error {
	ents, err := os.ReadDir(u.abs(rel))
	if err != nil {
		return err
	}
	for _, e := range ents {
		child := path.Join(rel, e.Name())
		if u.current[child] {
			continue
		}
		if err := u.remove(child); err != nil {
			return err
		}
	}
	return nil
}

// finishDirs gives directories their modes (and owners, as root), deepest
// first, so that a read-only parent is changed after its children.
func (u *unpacker) finishDirs() error {
	rels := make([]string, 0, len(u.dirs))
	for rel := range u.dirs {
		rels = append(rels, rel)
	}
	slices.Sort(rels)
	slices.Reverse(rels)
	for _, rel := range rels {
		h := u.dirs[rel]
		target := u.abs(rel)
		if u.asRoot {
			if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
				return err
			}
		}
		if err := os.Chmod(target, fs.FileMode(h.Mode).Perm()|setIDBits(h.Mode)); err != nil {
			return err
		}
	}
	return nil
}
