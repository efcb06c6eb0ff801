package containers

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/prunefilter"
	"github.com/urun/urun/stage"
)

// RunningError refuses to remove a running container without force.
type RunningError struct{ Ref string }

func (e *RunningError) Error() string {
	return fmt.Sprintf("cannot remove running container %s: stop it first or use -f", e.Ref)
}

// RunStateLostError refuses to start or remove a container that runs
// though the run state its urun holds is gone (see HoldLayer): urun can
// neither reach it through its run state nor start a second copy.
type RunStateLostError struct {
	Ref, Holder string
}

func (e *RunStateLostError) Error() string {
	return fmt.Sprintf("container %s still runs, but the run state its urun keeps was removed while it ran (a reboot, or the end of your login session, removes $XDG_RUNTIME_DIR): urun cannot reach it; end %s, the urun that runs it, with kill, then try again", e.Ref, e.Holder)
}

// CheckRunStateKept returns a RunStateLostError if the container of
// record st runs under a urun whose run state is gone. The caller holds
// the container's run state lock.
func CheckRunStateKept(cfg *config.Config, st State, ref string) error {
	layer := LayerDir(cfg, st)
	if !LayerHeld(layer) {
		return nil
	}
	holder := "the process"
	if f, err := os.Open(layer); err == nil {
		holder = lockwait.Holders(f)
		f.Close()
	}
	return &RunStateLostError{Ref: ref, Holder: holder}
}

// Remove deletes container c (which the user called ref): its writable
// layer, from inside a user namespace, then its run state. A running one
// is refused unless force; then it is stopped with SIGKILL first.
func Remove(cfg *config.Config, c Container, ref string, force bool) error {
	lock, err := lockEnded(c.Dir)
	if errors.Is(err, unix.EWOULDBLOCK) {
		if !force {
			return &RunningError{Ref: ref}
		}
		if err := Stop(cfg, c, unix.SIGKILL, 0); err != nil {
			return fmt.Errorf("remove container %s: %w", ref, err)
		}
		// Another urun may still hold the lock for a moment: one
		// removing or starting the container too.
		lock, err = LockWithin(c.Dir, ref, cfg.LockWait())
	}
	if errors.Is(err, os.ErrNotExist) {
		return nil // a --rm container's urun removed it meanwhile
	}
	var timeout *lockwait.TimeoutError
	if errors.As(err, &timeout) {
		return fmt.Errorf("remove container %s: %w", ref, err)
	}
	if err != nil {
		return fmt.Errorf("lock container %s: %w", ref, err)
	}
	defer lock.Close()
	if _, err := os.Stat(filepath.Join(c.Dir, stateFile)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	layer := LayerDir(cfg, c.State)
	if err := CheckRunStateKept(cfg, c.State, ref); err != nil {
		return err
	}
	// A urun killed outright (its record still names the cgroup) left
	// the container's cgroup behind.
	if err := cgroupv2.RemoveLeft(c.Cgroup); err != nil {
		return fmt.Errorf("remove container %s: %w", ref, err)
	}
	if err := dropRecords(cfg, c, layer); err != nil {
		return fmt.Errorf("remove container %s: %w", ref, err)
	}
	results, err := removeLayers(cfg, []string{layer})
	if err != nil {
		return fmt.Errorf("remove container %s: %w", ref, err)
	}
	for _, r := range results {
		if r.Err != "" {
			return fmt.Errorf("remove container %s's writable layer %s: %s", ref, r.Dir, r.Err)
		}
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		return fmt.Errorf("remove container %s's run state: %w", ref, err)
	}
	Emit(cfg, c.State, "destroy")
	return nil
}

// lockEnded is Lock, but waits (up to lookBound) while the record says
// the container ended: its urun records the end before it lets go of the
// lock, and `start -a`, `attach` or a failed `run -d` may return in
// between.
func lockEnded(dir string) (*os.File, error) {
	start := time.Now()
	for {
		lock, err := Lock(dir)
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Since(start) > lookBound {
			return lock, err
		}
		if st, rerr := ReadState(dir); rerr != nil || !st.ended() {
			return lock, err
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dropRecords makes container c no container: its record beside its
// writable layer goes, then the one in its run state, which is the commit
// point of a removal. Removing frees space, so this works on a full disk.
// A urun killed after it leaves a run state without a record, which the
// next urun command removes with the layer (reapAbandoned); one killed
// before leaves the container whole.
func dropRecords(cfg *config.Config, c Container, layer string) error {
	if err := os.Remove(filepath.Join(layer, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove its record: %w", err)
	}
	if err := os.Remove(filepath.Join(c.Dir, stateFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove its record: %w", err)
	}
	ReleaseName(cfg, c.Name, c.ID)
	return nil
}

// Pruned is what Prune deleted.
type Pruned struct {
	IDs       []string
	Reclaimed int64
}

// Prune deletes every stopped container, and the writable layers that have
// no run state at all (the run root was wiped, by a reboot for example),
// which nothing else can reach. A run state directory is made before its
// layer, so a layer without one is garbage.
func Prune(cfg *config.Config, filters prunefilter.Filters) (Pruned, error) {
	var p Pruned
	list, err := List(cfg)
	if err != nil {
		return p, err
	}
	labels := NewLabelSource(cfg)
	var victims []Container
	var dirs []string
	for _, c := range list {
		if c.Running || !filters.Match(labels.Of(c), c.Created) {
			continue
		}
		lock, err := Lock(c.Dir)
		if err != nil {
			continue // started or removed since it was listed
		}
		defer lock.Close()
		if err := dropRecords(cfg, c, LayerDir(cfg, c.State)); err != nil {
			continue
		}
		victims = append(victims, c)
		dirs = append(dirs, LayerDir(cfg, c.State))
	}
	var orphans []string
	// Layers without a record have no labels or time: --filter keeps them.
	parents := []string{KeptLayersDir(cfg), TransientLayersDir(cfg)}
	if !filters.IsZero() {
		parents = nil
	}
	for _, parent := range parents {
		entries, _ := os.ReadDir(parent)
		for _, e := range entries {
			layer := filepath.Join(parent, e.Name())
			if _, err := os.Lstat(StateDir(cfg, e.Name())); validID(e.Name()) && errors.Is(err, os.ErrNotExist) && !LayerHeld(layer) {
				orphans = append(orphans, e.Name())
				dirs = append(dirs, layer)
			}
		}
	}
	results, err := removeLayers(cfg, dirs)
	if err != nil {
		return p, err
	}
	var errs []error
	for i, r := range results {
		if r.Err != "" {
			errs = append(errs, fmt.Errorf("remove writable layer %s: %s", r.Dir, r.Err))
			continue
		}
		p.Reclaimed += r.Size
		if i >= len(victims) {
			p.IDs = append(p.IDs, orphans[i-len(victims)])
			continue
		}
		if err := os.RemoveAll(victims[i].Dir); err != nil {
			errs = append(errs, fmt.Errorf("remove container %s's run state: %w", ShortID(victims[i].ID), err))
			continue
		}
		p.IDs = append(p.IDs, victims[i].ID)
		Emit(cfg, victims[i].State, "destroy")
	}
	return p, errors.Join(errs...)
}

// layerResult is what the removal stage did with one directory.
type layerResult struct {
	Dir  string `json:"dir"`
	Size int64  `json:"size"`
	Err  string `json:"error,omitempty"`
}

// removeLayers deletes writable layers. Their files may belong to the
// caller's subordinate ids, so a stage in a user namespace with the
// caller's mappings deletes them, as root there. It is spawned only when
// some layer exists.
func removeLayers(cfg *config.Config, dirs []string) ([]layerResult, error) {
	results := make([]layerResult, len(dirs))
	var present []string
	for i, dir := range dirs {
		results[i].Dir = dir
		parent := filepath.Dir(dir)
		if parent != KeptLayersDir(cfg) && parent != TransientLayersDir(cfg) || !validID(filepath.Base(dir)) {
			return nil, fmt.Errorf("refusing to delete %s: not a container's writable layer", dir)
		}
		if _, err := os.Lstat(dir); err == nil {
			present = append(present, dir)
		}
	}
	if len(present) == 0 {
		return results, nil
	}
	var done []layerResult
	var err error
	if os.Geteuid() == 0 {
		// Root already (of a user namespace, as in urun-image, or of the
		// host) can delete every file there.
		done = removeDirs(present)
	} else {
		done, err = runRemoveStage(present)
	}
	if err != nil {
		return nil, err
	}
	byDir := map[string]layerResult{}
	for _, r := range done {
		byDir[r.Dir] = r
	}
	for i := range results {
		if r, ok := byDir[results[i].Dir]; ok {
			results[i] = r
		}
	}
	return results, nil
}

// RemoveOwnedDirs deletes dirs (volumes), whose files may belong to the
// caller's subordinate ids, as removeLayers deletes writable layers, and
// returns how many bytes each held; a directory that is gone counts 0.
func RemoveOwnedDirs(dirs []string) ([]int64, error) {
	var present []string
	for _, dir := range dirs {
		if _, err := os.Lstat(dir); err == nil {
			present = append(present, dir)
		}
	}
	sizes := make([]int64, len(dirs))
	if len(present) == 0 {
		return sizes, nil
	}
	var done []layerResult
	var err error
	if os.Geteuid() == 0 {
		done = removeDirs(present)
	} else if done, err = runRemoveStage(present); err != nil {
		return nil, err
	}
	var errs []error
	for _, r := range done {
		if r.Err != "" {
			errs = append(errs, fmt.Errorf("remove %s: %s", r.Dir, r.Err))
		}
		for i, dir := range dirs {
			if dir == r.Dir {
				sizes[i] = r.Size
			}
		}
	}
	return sizes, errors.Join(errs...)
}

func runRemoveStage(dirs []string) ([]layerResult, error) {
	mappings, err := idmap.ForCurrentCaller()
	if err != nil {
		return nil, err
	}
	cmd, err := stage.Command(stage.Remove)
	if err != nil {
		return nil, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	p, err := stage.Run(cmd, stage.Create{Mappings: mappings, Unshare: unix.CLONE_NEWNS}, dirs)
	if err != nil {
		return nil, fmt.Errorf("enter a user namespace to delete writable layers: %w", err)
	}
	var results []layerResult
	err = stage.ReceiveReport(p.Socket, &results)
	p.Socket.Close()
	waitErr := cmd.Wait()
	if err != nil {
		return nil, fmt.Errorf("delete writable layers in a user namespace: %v: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return results, nil
}

// RemoveStage runs in the user namespace runRemoveStage spawned
// (stage.Remove): it deletes the directories it was sent, measuring each
// first, and reports a layerResult list.
func RemoveStage() int {
	var dirs []string
	if err := stage.Request(&dirs); err != nil {
		fmt.Fprintln(os.Stderr, "urun:", err)
		return 125
	}
	if err := stage.SendReport(stage.Socket(), removeDirs(dirs)); err != nil {
		fmt.Fprintln(os.Stderr, "urun: report removed layers:", err)
		return 125
	}
	return 0
}

// removeDirs deletes dirs, measuring each first.
func removeDirs(dirs []string) []layerResult {
	results := make([]layerResult, len(dirs))
	for i, dir := range dirs {
		results[i] = layerResult{Dir: dir, Size: diskUsage(dir)}
		if err := os.RemoveAll(dir); err != nil {
			results[i].Err = err.Error()
		}
	}
	return results
}

// diskUsage sums the sizes of the regular files under dir, as Docker's
// reclaimed space does.
func diskUsage(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}
