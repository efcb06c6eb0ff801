package rootfscopy

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// archiver writes files into a tar stream as docker cp and docker export
// do: directories recursively, symlinks as symlinks, hard links once,
// modes and mtimes (to the second) kept, sockets left out.
type archiver struct {
	tw *tar.Writer
	// owner gives the uid and gid a file has in the archive.
	owner func(path string, uid, gid uint32) (int, int, error)
	// links maps a file with several links to its first name.
	links map[fileKey]string
}

type fileKey struct{ dev, ino uint64 }

// ownIDs keeps the ids the files have where they are read: in the
// container's user namespace, the container's own.
func ownIDs(_ string, uid, gid uint32) (int, int, error) { return int(uid), int(gid), nil }

func newArchiver(w io.Writer, owner func(string, uint32, uint32) (int, int, error)) *archiver {
	return &archiver{tw: tar.NewWriter(w), owner: owner, links: map[fileKey]string{}}
}

// close writes the end of the archive.
func (a *archiver) close() error { return a.tw.Close() }

// add writes the file at path, which fi describes, as name, and a
// directory's contents under it. An empty name writes no entry for the
// directory itself (export's root).
func (a *archiver) add(path string, fi os.FileInfo, name string) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no file status", path)
	}
	if fi.Mode()&os.ModeSocket != 0 {
		return nil // tar cannot carry sockets
	}
	uid, gid, err := a.owner(path, st.Uid, st.Gid)
	if err != nil {
		return err
	}
	hdr := &tar.Header{
		Name:    name,
		Mode:    int64(st.Mode & 0o7777),
		Uid:     uid,
		Gid:     gid,
		ModTime: time.Unix(st.Mtim.Sec, 0),
	}
	var body *os.File
	switch {
	case fi.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, name+"/"
	case fi.Mode().IsRegular():
		key := fileKey{uint64(st.Dev), uint64(st.Ino)}
		if first, ok := a.links[key]; ok && st.Nlink > 1 {
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
			break
		}
		if st.Nlink > 1 {
			a.links[key] = name
		}
		// Opened before the header is written: a file that vanished in a
		// running container is left out whole.
		if body, err = os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW, 0); err != nil {
			return err
		}
		defer body.Close()
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size
	case fi.Mode()&os.ModeSymlink != 0:
		hdr.Typeflag = tar.TypeSymlink
		if hdr.Linkname, err = os.Readlink(path); err != nil {
			return err
		}
	case fi.Mode()&os.ModeNamedPipe != 0:
		hdr.Typeflag = tar.TypeFifo
	case fi.Mode()&os.ModeDevice != 0:
		hdr.Typeflag = tar.TypeBlock
		if fi.Mode()&os.ModeCharDevice != 0 {
			hdr.Typeflag = tar.TypeChar
		}
		hdr.Devmajor, hdr.Devminor = int64(unix.Major(st.Rdev)), int64(unix.Minor(st.Rdev))
	default:
		return nil
	}
	if name != "" {
		if err := a.tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("archive %s: %w", path, err)
		}
	}
	if body != nil {
		if _, err := io.CopyN(a.tw, body, hdr.Size); err != nil {
			return fmt.Errorf("archive %s (did it change while being copied?): %w", path, err)
		}
	}
	if !fi.IsDir() {
		return nil
	}
	return a.addChildren(path, name)
}

func (a *archiver) addChildren(dir, name string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", dir, err)
	}
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Lstat(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // removed meanwhile in a running container
		}
		if err != nil {
			return err
		}
		child := e.Name()
		if name != "" {
			child = name + "/" + e.Name()
		}
		if err := a.add(path, fi, child); errors.Is(err, os.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
	}
	return nil
}
