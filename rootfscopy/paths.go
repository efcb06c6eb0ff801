package rootfscopy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// SplitArg splits a `urun cp` argument into a container and a path as
// docker cp does: "CONTAINER:PATH" names a path in a container; an
// absolute path, a path without a colon, or one starting with "." (such
// as ./file:name) is a path on the host.
func SplitArg(arg string) (container, path string) {
	if filepath.IsAbs(arg) {
		return "", arg
	}
	container, path, ok := strings.Cut(arg, ":")
	if !ok || strings.HasPrefix(container, ".") {
		return "", arg
	}
	return container, path
}

// containerPath makes a path given in CONTAINER:PATH absolute: docker cp
// takes it relative to the container's root.
func containerPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return "/" + p
}

// wantsContents reports whether a source path ends in "/.": its
// directory's contents are copied rather than the directory.
func wantsContents(p string) bool {
	return p == "." || strings.HasSuffix(p, string(filepath.Separator)+".")
}

// assertsDir reports whether a path ends with a separator or "/.", which
// says it must be a directory.
func assertsDir(p string) bool {
	return strings.HasSuffix(p, string(filepath.Separator)) || wantsContents(p)
}

// Source is what is being copied: the name its archive's top entry has
// and whether it is a directory.
type Source struct {
	// Base is the archive's top entry: the source's base name, or "."
	// when the source path ends in "/." (its contents).
	Base  string `json:"base"`
	IsDir bool   `json:"is_dir"`
}

// statSource finds the source at path. Its last symlink is followed when
// follow is set (-L) or when the path ends with a separator or "/.", as
// docker cp does; symlinks before it are always followed. It returns the
// file's path as resolved and what to call it in the archive.
func statSource(path string, follow bool) (string, os.FileInfo, Source, error) {
	base := filepath.Base(path)
	if wantsContents(path) || base == "/" {
		base = "."
	}
	resolved := path
	var fi os.FileInfo
	var err error
	if follow || assertsDir(path) {
		if resolved, err = filepath.EvalSymlinks(path); err == nil {
			fi, err = os.Stat(resolved)
		}
	} else {
		fi, err = os.Lstat(path)
	}
	if err != nil {
		return "", nil, Source{}, err
	}
	if assertsDir(path) && !fi.IsDir() {
		return "", nil, Source{}, &os.PathError{Op: "copy", Path: path, Err: errNotDir}
	}
	return resolved, fi, Source{Base: base, IsDir: fi.IsDir()}, nil
}

var errNotDir = errors.New("not a directory")

// Dest is a copy's destination as found before copying.
type Dest struct {
	// Path is the destination with its symlinks resolved.
	Path   string
	Exists bool
	IsDir  bool
}

// ErrNoParent means a destination's parent directory does not exist.
type ErrNoParent struct{ Dir string }

func (e *ErrNoParent) Error() string {
	return fmt.Sprintf("the destination directory %s does not exist: create it first", e.Dir)
}

// statDest finds the destination at path, following symlinks as docker cp
// does. A missing destination needs an existing parent directory.
func statDest(path string) (Dest, error) {
	resolved, err := filepath.EvalSymlinks(path)
	if err == nil {
		fi, err := os.Stat(resolved)
		if err != nil {
			return Dest{}, err
		}
		if assertsDir(path) && !fi.IsDir() {
			return Dest{}, &os.PathError{Op: "copy to", Path: path, Err: errNotDir}
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			return Dest{}, fmt.Errorf("the destination %s must be a directory or a regular file", path)
		}
		return Dest{Path: resolved, Exists: true, IsDir: fi.IsDir()}, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return Dest{}, err
	}
	parent := filepath.Dir(filepath.Clean(path))
	resolvedParent, err := filepath.EvalSymlinks(parent)
	if errors.Is(err, os.ErrNotExist) {
		return Dest{}, &ErrNoParent{Dir: parent}
	}
	if err != nil {
		return Dest{}, err
	}
	fi, err := os.Stat(resolvedParent)
	if err != nil {
		return Dest{}, err
	}
	if !fi.IsDir() {
		return Dest{}, &os.PathError{Op: "copy to", Path: parent, Err: errNotDir}
	}
	// A link that points nowhere is replaced, not followed.
	return Dest{Path: filepath.Join(resolvedParent, filepath.Base(path))}, nil
}

// Plan says where a source's archive is unpacked.
type Plan struct {
	// Dir is the existing directory the archive is unpacked into.
	Dir string
	// From and To rename the archive's top entry (and what is under it)
	// when they differ.
	From, To string
}

// Errors of planCopy, as docker cp words them.
var (
	ErrDirOntoFile = errors.New("cannot copy a directory onto a file")
	ErrNoDestDir   = errors.New("the destination directory does not exist (a path ending in / must be an existing directory)")
)

// planCopy applies docker cp's rules. dstArg is the destination as the
// user wrote it (a trailing "/" asserts a directory):
//   - into an existing directory, the source keeps its name (a "/." source
//     puts its contents there);
//   - a directory onto an existing file is an error;
//   - a file onto an existing file replaces it;
//   - a source to a path that does not exist takes that name (a file to
//     a path ending in "/" is an error).
func planCopy(src Source, dst Dest, dstArg string) (Plan, error) {
	switch {
	case dst.Exists && dst.IsDir:
		return Plan{Dir: dst.Path, From: src.Base, To: src.Base}, nil
	case dst.Exists && src.IsDir:
		return Plan{}, ErrDirOntoFile
	case !dst.Exists && !src.IsDir && assertsDir(dstArg):
		return Plan{}, ErrNoDestDir
	}
	return Plan{Dir: filepath.Dir(dst.Path), From: src.Base, To: filepath.Base(dst.Path)}, nil
}

// rebase renames an archive entry under plan's top entry.
func (p Plan) rebase(name string) string {
	if p.From == p.To {
		return name
	}
	if name == p.From || strings.HasPrefix(name, p.From+"/") {
		return p.To + name[len(p.From):]
	}
	return name
}
