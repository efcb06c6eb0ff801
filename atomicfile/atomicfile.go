// Package atomicfile replaces files so that a reader, or a crash, never
// sees half of one: write an unnamed file in the same directory, sync,
// give it a name and rename it over the target. A process killed while it
// writes leaves nothing behind (the unnamed file is freed with it).
package atomicfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// WriteJSON replaces path with v encoded as JSON.
func WriteJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return Write(path, data)
}

// Write replaces path with data, mode 0644.
func Write(path string, data []byte) error {
	f, err := Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err // names the path
	}
	return f.Commit()
}

// File is the future content of a path: written, then committed (it
// replaces the path at once) or aborted (nothing is left).
type File struct {
	*os.File
	path string
	perm os.FileMode
	// named: the file has a temporary name in path's directory (where the
	// file system has no O_TMPFILE); else it has none until Commit.
	named bool
	done  bool
}

// Create starts the replacement of path with a file of mode perm.
func Create(path string, perm os.FileMode) (*File, error) {
	dir := filepath.Dir(path)
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm))
	if err == nil {
		f := os.NewFile(uintptr(fd), path)
		// The umask applied at open; the mode is what was asked for.
		if err := f.Chmod(perm); err != nil {
			f.Close()
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return &File{File: f, path: path, perm: perm}, nil
	}
	if !errors.Is(err, unix.EOPNOTSUPP) && !errors.Is(err, unix.EISDIR) && !errors.Is(err, unix.EINVAL) {
		return nil, fmt.Errorf("write %s: %w", path, &os.PathError{Op: "open", Path: dir, Err: err})
	}
	// A file system without unnamed files: a named temporary one, which a
	// killed process leaves behind.
	f, err := os.CreateTemp(dir, ".tmp-"+filepath.Base(path))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return &File{File: f, path: path, perm: perm, named: true}, nil
}

// Commit syncs the file and puts it in place of path.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("write %s: already committed or aborted", f.path)
	}
	f.done = true
	if err := f.Sync(); err != nil {
		f.discard()
		return fmt.Errorf("sync %s: %w", f.path, err)
	}
	tmp := f.Name()
	if !f.named {
		// Where nothing has path's name yet, the file gets it at once:
		// no moment leaves it under another name.
		proc := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
		err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, f.path, unix.AT_SYMLINK_FOLLOW)
		if err == nil {
			if err := f.Close(); err != nil {
				return fmt.Errorf("write %s: %w", f.path, err)
			}
			return nil
		}
		// A name of its own first: linkat cannot replace a file.
		tmp = filepath.Join(filepath.Dir(f.path), ".tmp-"+filepath.Base(f.path)+strconv.FormatInt(time.Now().UnixNano(), 36))
		if err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, tmp, unix.AT_SYMLINK_FOLLOW); err != nil {
			// No /proc of this process's own (a PID namespace with
			// the host's /proc): a named copy instead.
			var cerr error
			if tmp, cerr = f.copyNamed(); cerr != nil {
				f.Close()
				return fmt.Errorf("write %s: %w", f.path, cerr)
			}
		}
	}
	// Renamed first, closed after: a process killed between the two
	// steps that name the file leaves its temporary name behind, so they
	// follow each other at once.
	if err := os.Rename(tmp, f.path); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("replace %s: %w", f.path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", f.path, err)
	}
	return nil
}

// Abort drops the file; after Commit it does nothing.
func (f *File) Abort() {
	if !f.done {
		f.done = true
		f.discard()
	}
}

func (f *File) discard() {
	f.Close()
	if f.named {
		os.Remove(f.Name())
	}
}

// copyNamed copies the unnamed file into a named temporary one beside
// path and returns its name.
func (f *File) copyNamed() (string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	named, err := os.CreateTemp(filepath.Dir(f.path), ".tmp-"+filepath.Base(f.path))
	if err != nil {
		return "", err
	}
	_, err = io.Copy(named, f.File)
	if err == nil {
		err = named.Chmod(f.perm)
	}
	if err == nil {
		err = named.Sync()
	}
	if cerr := named.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(named.Name())
		return "", err
	}
	return named.Name(), nil
}
