package local

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/lockwait"
)

// useLockPath is the lock file of LockUse in a graph root.
func useLockPath(graphRoot string) string {
	return filepath.Join(graphRoot, "urun-image-use.lock")
}

// LockUse takes the lock that keeps an image from being deleted while a
// container is being made of it: `urun run` and `urun create` hold it
// shared from finding their image until their container's record names
// it; `urun rmi` and `urun image prune` hold it exclusive from reading
// which images containers use until they have deleted. It waits up to
// bound for the other side. Closing the file releases it; the file is
// closed on exec, so no child inherits it.
func LockUse(graphRoot string, exclusive bool, bound time.Duration) (*os.File, error) {
	path := useLockPath(graphRoot)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		// A new store: urun makes its graph root as pulls do.
		if err := os.MkdirAll(graphRoot, 0o700); err != nil {
			return nil, fmt.Errorf("create the image store %s: %w", graphRoot, err)
		}
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	}
	if err != nil {
		return nil, fmt.Errorf("open the image use lock: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := lockwait.Take(f, how, bound, "the image store "+graphRoot); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
