// Package nospace turns a full file system's error (ENOSPC, EDQUOT) into
// a message that names the file system, which a user can act on: the
// storage library's "write .../container_images_storage123/1: no space
// left on device" does not say which disk to free.
package nospace

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	"golang.org/x/sys/unix"
)

// Is reports whether err says a file system is full (or the user's quota
// on it is used up).
func Is(err error) bool {
	if errors.Is(err, unix.ENOSPC) || errors.Is(err, unix.EDQUOT) {
		return true
	}
	return err != nil && textual().MatchString(err.Error())
}

// textual finds the path in an error that lost its type on the way (the
// image library flattens some into strings): "write PATH: no space left
// on device".
// It is compiled on first use, so that no urun start pays for it.
var textual = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(?:^|: |\s)(/[^\s:]*): (?:no space left on device|disk quota exceeded)`)
})

// Explain returns err with, in front, which file system is full: that of
// the file err names, else of fallbackDir (when not ""). Other errors are
// returned as they are.
func Explain(err error, fallbackDir string) error {
	if !Is(err) {
		return err
	}
	dir := pathOf(err)
	if dir != "" {
		dir = filepath.Dir(dir) // the file may be a temporary one
	}
	if dir == "" {
		dir = fallbackDir
	}
	if dir == "" {
		return fmt.Errorf("no space left on the file system: free space there and try again: %w", err)
	}
	return fmt.Errorf("no space left on the file system of %s (%s): free space there (urun rm, urun rmi, urun image prune, or files of your own) and try again: %w",
		dir, MountPoint(dir), err)
}

// pathOf is the file the error was about.
func pathOf(err error) string {
	var pathErr *os.PathError
	if errors.As(err, &pathErr) && filepath.IsAbs(pathErr.Path) {
		return pathErr.Path
	}
	var linkErr *os.LinkError
	if errors.As(err, &linkErr) && filepath.IsAbs(linkErr.New) {
		return linkErr.New
	}
	if m := textual().FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// MountPoint is where the file system that holds path (or its nearest
// existing ancestor) is mounted: the topmost directory on the same device.
func MountPoint(path string) string {
	path = filepath.Clean(path)
	var st unix.Stat_t
	for unix.Stat(path, &st) != nil {
		parent := filepath.Dir(path)
		if parent == path {
			return path
		}
		path = parent
	}
	for {
		parent := filepath.Dir(path)
		var pst unix.Stat_t
		if parent == path || unix.Stat(parent, &pst) != nil || pst.Dev != st.Dev {
			return path
		}
		path = parent
	}
}
