// Package layertar turns the upper directory of an overlay mount (a build
// step's or a container's changes) into an image layer: the tar stream
// that registries and `docker load` understand, and the list of changes
// `urun diff` prints. Overlay marks a deleted file with a 0/0 character
// device and a directory that hides the lower one with the opaque xattr;
// an image layer says the same with ".wh.NAME" and ".wh..wh..opq" files.
// fuse-overlayfs, where it cannot make devices, writes the ".wh." files
// itself; both forms are read.
//
// The stream is deterministic for a given tree: entries in byte order of
// their paths, times to the second, no user or group names, so that a
// rebuilt step yields the same digest.
package layertar

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const (
	// WhiteoutPrefix marks a deleted NAME in a layer: ".wh.NAME".
	WhiteoutPrefix = ".wh."
	// OpaqueWhiteout in a directory hides everything lower layers have
	// in it.
	OpaqueWhiteout = ".wh..wh..opq"
)

// fuseOpaqueMark says whether a 0/0 character device of this name is
// fuse-overlayfs's own mark beside the ".wh..wh..opq" file of an opaque
// directory (it makes ".wh..opq"), not the whiteout of a file: no file of
// an image may have a name starting with ".wh.", so none was deleted.
func fuseOpaqueMark(name string) bool {
	return strings.HasPrefix(name, WhiteoutPrefix)
}

// overlayXattr says whether an extended attribute is overlay's own
// bookkeeping, which has no place in an image.
func overlayXattr(name string) bool {
	for _, p := range []string{"trusted.overlay.", "user.overlay.", "user.fuseoverlayfs.", "trusted.fuseoverlayfs."} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// Stats describe a written layer.
type Stats struct {
	// UIDs and GIDs are the owners its entries have (whiteouts aside).
	UIDs, GIDs map[uint32]bool
	// RootMode is the mode of the layer's root directory.
	RootMode os.FileMode
}

// Write writes the layer that the upper directory dir holds to w.
func Write(w io.Writer, dir string) (*Stats, error) {
	tw := tar.NewWriter(w)
	lw := &writer{tw: tw, root: dir, links: map[inode]string{}, stats: &Stats{UIDs: map[uint32]bool{}, GIDs: map[uint32]bool{}}}
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil {
		return nil, fmt.Errorf("read layer directory %s: %w", dir, err)
	}
	lw.stats.RootMode = os.FileMode(st.Mode & 0o7777)
	if err := lw.children(dir, ""); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("finish layer archive: %w", err)
	}
	return lw.stats, nil
}

type inode struct{ dev, ino uint64 }

type writer struct {
	tw    *tar.Writer
	root  string
	links map[inode]string
	stats *Stats
	buf   []byte
}

// children writes the entries under the directory p, whose name in the
// layer is name ("" for the root).
func (w *writer) children(p, name string) error {
	names, err := readDirNames(p)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := w.entry(filepath.Join(p, n), path.Join(name, n)); err != nil {
			return err
		}
	}
	return nil
}

func readDirNames(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("read layer directory %s: %w", p, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read layer directory %s: %w", p, err)
	}
	slices.Sort(names)
	return names, nil
}

func (w *writer) entry(p, name string) error {
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	mode := st.Mode & unix.S_IFMT
	if mode == unix.S_IFCHR && st.Rdev == 0 {
		if fuseOpaqueMark(path.Base(name)) {
			return nil // the ".wh..wh..opq" file beside it says it
		}
		// overlay's whiteout: NAME was deleted.
		return w.tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path.Join(path.Dir(name), WhiteoutPrefix+path.Base(name)),
			ModTime:  time.Unix(st.Mtim.Sec, 0),
		})
	}
	if mode == unix.S_IFSOCK {
		return nil // tar cannot carry sockets
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     int(st.Uid),
		Gid:     int(st.Gid),
		ModTime: time.Unix(st.Mtim.Sec, 0),
		Format:  tar.FormatPAX,
	}
	if !strings.HasPrefix(path.Base(name), WhiteoutPrefix) {
		w.stats.UIDs[st.Uid] = true
		w.stats.GIDs[st.Gid] = true
	}
	opaque := false
	xattrs, err := readXattrs(p)
	if err != nil {
		return err
	}
	for k, v := range xattrs {
		if k == "trusted.overlay.opaque" || k == "user.overlay.opaque" || k == "user.fuseoverlayfs.opaque" {
			opaque = opaque || v == "y"
			continue
		}
		if overlayXattr(k) {
			continue
		}
		if hdr.PAXRecords == nil {
			hdr.PAXRecords = map[string]string{}
		}
		hdr.PAXRecords["SCHILY.xattr."+k] = v
	}
	var content *os.File
	switch mode {
	case unix.S_IFDIR:
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
	case unix.S_IFLNK:
		hdr.Typeflag = tar.TypeSymlink
		if hdr.Linkname, err = os.Readlink(p); err != nil {
			return fmt.Errorf("read link %s: %w", p, err)
		}
	case unix.S_IFREG:
		key := inode{uint64(st.Dev), st.Ino}
		if first, ok := w.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag = tar.TypeLink
			hdr.Linkname = first
			break
		}
		if st.Nlink > 1 {
			w.links[key] = name
		}
		hdr.Typeflag = tar.TypeReg
		hdr.Size = st.Size
		if st.Size > 0 {
			if content, err = os.Open(p); err != nil {
				return fmt.Errorf("read %s: %w", p, err)
			}
			defer content.Close()
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		hdr.Typeflag = tar.TypeChar
		if mode == unix.S_IFBLK {
			hdr.Typeflag = tar.TypeBlock
		}
		hdr.Devmajor = int64(unix.Major(st.Rdev))
		hdr.Devminor = int64(unix.Minor(st.Rdev))
	case unix.S_IFIFO:
		hdr.Typeflag = tar.TypeFifo
	default:
		return fmt.Errorf("%s: a file of a type a layer cannot carry", p)
	}
	if hdr.PAXRecords == nil {
		// USTAR where it fits: what other tools write, byte for byte.
		hdr.Format = tar.FormatUnknown
	}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write %s to the layer: %w", name, err)
	}
	if content != nil {
		if w.buf == nil {
			w.buf = make([]byte, 1<<20)
		}
		n, err := io.CopyBuffer(w.tw, io.LimitReader(content, st.Size), w.buf)
		if err != nil {
			return fmt.Errorf("write %s to the layer: %w", name, err)
		}
		if n != st.Size {
			return fmt.Errorf("write %s to the layer: it shrank while being read", name)
		}
	}
	if mode != unix.S_IFDIR {
		return nil
	}
	// fuse-overlayfs marks an opaque directory both ways: the file, which
	// the directory's entries below carry, is the mark then.
	if _, err := os.Lstat(filepath.Join(p, OpaqueWhiteout)); opaque && err != nil {
		if err := w.tw.WriteHeader(&tar.Header{
			Typeflag: tar.TypeReg,
			Name:     path.Join(name, OpaqueWhiteout),
			ModTime:  time.Unix(st.Mtim.Sec, 0),
		}); err != nil {
			return fmt.Errorf("write %s to the layer: %w", name, err)
		}
	}
	return w.children(p, name)
}

// readXattrs reads a file's extended attributes; a file system without
// them has none.
func readXattrs(p string) (map[string]string, error) {
	buf := make([]byte, 1024)
	n, err := unix.Llistxattr(p, buf)
	if errors.Is(err, unix.ERANGE) {
		if n, err = unix.Llistxattr(p, nil); err == nil {
			buf = make([]byte, n)
			n, err = unix.Llistxattr(p, buf)
		}
	}
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, syscall.EOPNOTSUPP) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list extended attributes of %s: %w", p, err)
	}
	if n == 0 {
		return nil, nil
	}
	out := map[string]string{}
	for _, name := range strings.Split(strings.TrimRight(string(buf[:n]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		val := make([]byte, 256)
		m, err := unix.Lgetxattr(p, name, val)
		if errors.Is(err, unix.ERANGE) {
			if m, err = unix.Lgetxattr(p, name, nil); err == nil {
				val = make([]byte, m)
				m, err = unix.Lgetxattr(p, name, val)
			}
		}
		if errors.Is(err, unix.ENODATA) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read extended attribute %s of %s: %w", name, p, err)
		}
		out[name] = string(val[:m])
	}
	return out, nil
}
