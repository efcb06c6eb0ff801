package volumes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A volume is made in a directory ".new-X" of the store, then renamed to
// its name. The directory's lock ".new-X.lock" comes first and is held
// while it is made: a directory whose lock can be taken belongs to a
// create that was killed, which sweepAbandoned removes.
const newPrefix = ".new-"

// makeNewDir makes a directory for a volume being made, with its lock
// held; release lets go of both once the directory was renamed (or must
// go).
func makeNewDir(root string) (dir string, release func(), err error) {
	for try := 0; try < 100; try++ {
		name, err := NewName()
		if err != nil {
			return "", nil, err
		}
		dir = filepath.Join(root, newPrefix+name[:16])
		lock, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("create a new volume's lock: %w", err)
		}
		if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
			lock.Close()
			os.Remove(dir + ".lock")
			return "", nil, fmt.Errorf("lock a new volume's directory: %w", err)
		}
		release = func() {
			os.RemoveAll(dir)
			os.Remove(dir + ".lock")
			lock.Close()
		}
		if err := os.Mkdir(dir, 0o700); err != nil {
			release()
			return "", nil, fmt.Errorf("create a new volume's directory: %w", err)
		}
		return dir, release, nil
	}
	return "", nil, errors.New("create a new volume's directory: no free name")
}

// sweepAbandoned removes what killed creates left in the store: the
// directories (and locks) whose lock nobody holds.
func sweepAbandoned(root string) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, newPrefix) || !strings.HasSuffix(name, ".lock") {
			continue
		}
		path := filepath.Join(root, name)
		lock, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			continue
		}
		if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil {
			os.RemoveAll(strings.TrimSuffix(path, ".lock"))
			os.Remove(path)
		}
		lock.Close()
	}
}
