package containers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
)

// newStatePrefix names a run state directory being made: it is locked
// under that name, then renamed into place, so that a run state directory
// under a container's short id is always either locked by its urun or
// complete (see CreateStateDir).
const newStatePrefix = ".new-"

// abandonedNewAge is how old an unlocked ".new-" directory must be to be
// taken for a killed urun's when its maker's process is there: its maker
// locks it right after mkdir. One whose maker is gone is taken at once.
const abandonedNewAge = 2 * time.Second

// CreateStateDir makes the run state directory dir and locks it: under a
// temporary name first, renamed to dir once locked, so that no other urun
// ever sees it unlocked and empty and takes it for a killed one's.
func CreateStateDir(dir string) (*os.File, error) {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("create run state: %w", err)
	}
	// The maker's pid in the name: the next urun repairs a kill -9 at
	// once instead of after abandonedNewAge.
	tmp, err := os.MkdirTemp(parent, newStatePrefix+filepath.Base(dir)+"-"+strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("create run state: %w", err)
	}
	lock, err := Lock(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("lock run state %s: %w", tmp, err)
	}
	// The (2^-48) chance that the short id is taken fails here.
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE); err != nil {
		lock.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("create run state %s: %w", dir, err)
	}
	return lock, nil
}

// reapAbandoned removes what urun commands killed outright (SIGKILL, a
// crash) left in the run root and the store, so that the next command
// finds nothing of it. names are the run root's entries that
// mayBeAbandoned picked and nothing held the lock of:
//   - a run state directory without a record, which nothing holds: its
//     `urun run` or `urun create` died before it wrote the record, or
//     its `urun rm` after it removed the record (the commit point of a
//     removal);
//   - the record of a --rm container that nothing holds: its urun died,
//     and the container with it;
//   - a ".new-" directory of a run state being made, long unlocked;
//
// each with its writable layer unless a record is beside that layer (a
// kept container's, which restoreRunState brings back). Only layers found
// through a run state directory of this run root are taken: a layer
// without one may belong to a container of another run root.
//
// The layers hold files of subordinate ids: they are deleted as root of a
// user namespace, which costs a process, only when there are some.
func reapAbandoned(cfg *config.Config, names []string) {
	var layers, dirs []string
	root := StateRoot(cfg)
	for _, name := range names {
		dir := filepath.Join(root, name)
		if strings.HasPrefix(name, newStatePrefix) {
			if lock, err := Lock(dir); err == nil {
				os.RemoveAll(dir)
				lock.Close()
			}
			continue
		}
		lock, err := Lock(dir)
		if err != nil {
			continue
		}
		// Read again under the lock: a `urun start` may have begun.
		st, err := ReadState(dir)
		if !abandoned(cfg, st, err) {
			lock.Close()
			continue
		}
		if err == nil {
			// Its cgroup, when urun made it itself (cgroupfs).
			cgroupv2.RemoveLeft(st.Cgroup)
			// The commit point: from here on it is no container.
			if os.Remove(filepath.Join(dir, stateFile)) != nil {
				lock.Close()
				continue
			}
			ReleaseName(cfg, st.Name, st.ID)
		}
		found := false
		for _, parent := range []string{TransientLayersDir(cfg), KeptLayersDir(cfg)} {
			if layer := layerOf(parent, name); layer != "" {
				if _, err := ReadState(layer); errors.Is(err, os.ErrNotExist) && !LayerHeld(layer) {
					layers = append(layers, layer)
					found = true
				}
			}
		}
		if found {
			dirs = append(dirs, dir)
		} else {
			os.RemoveAll(dir)
		}
		lock.Close()
	}
	if len(layers) == 0 {
		return
	}
	results, err := removeLayers(cfg, layers)
	if err != nil {
		return
	}
	// A run state directory goes after its layer: while it is there, the
	// layer is found again if this urun dies meanwhile.
	failed := map[string]bool{}
	for _, r := range results {
		if r.Err != "" {
			failed[ShortID(filepath.Base(r.Dir))] = true
		}
	}
	for _, dir := range dirs {
		if failed[filepath.Base(dir)] {
			continue
		}
		if lock, err := Lock(dir); err == nil {
			if _, err := os.Stat(filepath.Join(dir, stateFile)); errors.Is(err, os.ErrNotExist) {
				os.RemoveAll(dir)
			}
			lock.Close()
		}
	}
}

// mayBeAbandoned tells from a run state directory's entry and record
// (and the error reading it) whether it is one reapAbandoned removes once
// nothing holds its lock; the check is cheap, the lock is tried after.
func mayBeAbandoned(cfg *config.Config, e os.DirEntry, st State, readErr error) bool {
	name := e.Name()
	if strings.HasPrefix(name, newStatePrefix) {
		if makerGone(name) {
			return true
		}
		info, err := e.Info()
		return err == nil && time.Since(info.ModTime()) > abandonedNewAge
	}
	if len(name) != ShortIDLength || !validID(name+strings.Repeat("0", 64-len(name))) {
		return false
	}
	return abandoned(cfg, st, readErr)
}

// abandoned tells from a run state's record (and the error reading it)
// whether nothing but a killed urun can have left it, once nothing holds
// its lock: it has no record, or it is a --rm container's that has been
// started, or a kept container's whose writable layer lacks the record
// that goes beside it (WriteState writes that one second, dropRecords
// removes it first: a `urun create` killed before it, or a `urun rm`
// killed after it).
func abandoned(cfg *config.Config, st State, readErr error) bool {
	if errors.Is(readErr, os.ErrNotExist) {
		return true
	}
	if readErr != nil || !st.belongsTo(cfg.GraphRoot) {
		return false
	}
	if st.Remove {
		return st.Status != StatusCreated
	}
	layer := LayerDir(cfg, st)
	if _, err := os.Stat(layer); err != nil {
		return false
	}
	_, err := os.Stat(filepath.Join(layer, stateFile))
	return errors.Is(err, os.ErrNotExist)
}

// layerOf is the writable layer in parent of the container whose short
// id is short, or "".
func layerOf(parent, short string) string {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), short) && validID(e.Name()) {
			return filepath.Join(parent, e.Name())
		}
	}
	return ""
}

// OrphanedTransientLayers finds --rm containers' writable layers whose
// urun died before removing them (SIGKILL, a crash, a reboot clearing the
// run root) and drops their run state. The layers hold files of
// subordinate ids, so they are returned for the monitor to delete inside
// the user namespace. A run state directory is locked before its layer is
// created, so a layer without a locked state directory is garbage.
func OrphanedTransientLayers(cfg *config.Config) []string {
	entries, err := os.ReadDir(TransientLayersDir(cfg))
	if err != nil {
		return nil
	}
	var orphans []string
	for _, e := range entries {
		stateDir := StateDir(cfg, e.Name())
		lock, err := Lock(stateDir)
		switch {
		case errors.Is(err, unix.EWOULDBLOCK):
			continue // its urun is alive
		case err == nil:
			// `urun create --rm` makes a layer that waits for its start.
			st, err := ReadState(stateDir)
			if err == nil && st.Status == StatusCreated {
				lock.Close()
				continue
			}
			if err == nil {
				ReleaseName(cfg, st.Name, st.ID)
			}
			os.RemoveAll(stateDir)
			lock.Close()
		case !errors.Is(err, os.ErrNotExist):
			continue
		}
		layer := filepath.Join(TransientLayersDir(cfg), e.Name())
		if LayerHeld(layer) {
			continue // it runs, though its run state is gone (see HoldLayer)
		}
		orphans = append(orphans, layer)
	}
	return orphans
}

// makerGone tells whether the process whose pid a ".new-ID-PID-RANDOM"
// name holds has ended. A reused pid only delays the repair to
// abandonedNewAge; a name without a pid (an older urun's) says nothing.
func makerGone(name string) bool {
	fields := strings.Split(strings.TrimPrefix(name, newStatePrefix), "-")
	if len(fields) != 3 {
		return false
	}
	pid, err := strconv.Atoi(fields[1])
	if err != nil || pid <= 0 {
		return false
	}
	return errors.Is(unix.Kill(pid, 0), unix.ESRCH)
}
