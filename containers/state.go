// Package containers runs on the host side: it keeps each container's
// record in the run root (written by package launch when the container is
// created), lists containers, finds them by name or id prefix, and removes
// them with their writable layers.
package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
)

// StateFile is a container's record in its run state directory.
const StateFile = "state.json"

// InitPIDFile holds the host pid of a running container's init, written
// once its command has started, for `urun rm -f`.
const InitPIDFile = "init.pid"

// State is a container's record in its run state directory.
type State struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Image   string    `json:"image"`
	ImageID string    `json:"image_id"`
	Command []string  `json:"command,omitempty"`
	Created time.Time `json:"created"`
	// Status is what the container's urun last wrote: "created" (it may
	// still run: see Container.Running) or "exited".
	Status     string    `json:"status"`
	ExitCode   int       `json:"exit_code"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// Remove marks a --rm container, whose leftovers may be deleted by any
	// later urun once its monitor is gone.
	Remove bool `json:"remove"`
}

// LayerDir is where the container's writable layer lives.
func LayerDir(cfg *config.Config, st State) string {
	if st.Remove {
		return filepath.Join(cfg.TransientDir(), st.ID)
	}
	return filepath.Join(cfg.ContainersDir(), st.ID)
}

// ReadState reads the record in a run state directory.
func ReadState(dir string) (State, error) {
	var st State
	data, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return st, err
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return st, fmt.Errorf("read %s: %w", filepath.Join(dir, StateFile), err)
	}
	return st, nil
}

// WriteState replaces the record in a run state directory.
func WriteState(dir string, st State) error {
	return atomicfile.WriteJSON(filepath.Join(dir, StateFile), st)
}

// Lock takes an exclusive lock on a container's run state directory
// without waiting. The container's urun holds it for as long as it lives,
// so a process that gets it knows the container is not running, whatever
// killed its urun.
func Lock(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Register gives st a name and writes it into dir, the new container's run
// state directory: the requested one if no other container has it, else
// (st.Name empty) a generated one. A short lock on RUNROOT/containers.lock
// makes the check and the write one step for concurrent `urun run`s.
func Register(cfg *config.Config, dir string, st *State) error {
	unlock, err := lockNames(cfg)
	if err != nil {
		return err
	}
	defer unlock()
	taken, err := namesInUse(cfg.StateRoot())
	if err != nil {
		return err
	}
	if st.Name == "" {
		st.Name = generateName(taken)
	} else if taken[st.Name] {
		return fmt.Errorf("the container name %q is already in use: remove that container or choose another --name", st.Name)
	}
	return WriteState(dir, *st)
}

func lockNames(cfg *config.Config) (func(), error) {
	path := filepath.Join(cfg.RunRoot, "containers.lock")
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the container names' lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the container names %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// namesInUse returns the names of the containers in stateRoot.
func namesInUse(stateRoot string) (map[string]bool, error) {
	entries, err := os.ReadDir(stateRoot)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	names := map[string]bool{}
	for _, e := range entries {
		// A damaged or half-made record names no container.
		if st, err := ReadState(filepath.Join(stateRoot, e.Name())); err == nil && st.Name != "" {
			names[st.Name] = true
		}
	}
	return names, nil
}

// ValidName follows Docker's rule for container names.
func ValidName(name string) bool {
	if name == "" {
		return false
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i > 0 {
			ok = ok || strings.ContainsRune("_.-", r)
		}
		if !ok {
			return false
		}
	}
	return true
}

// validID accepts a full container id: 64 lower-case hex digits. Ids name
// directories that are deleted, so nothing else may pass.
func validID(id string) bool {
	if len(id) != 64 {
		return false
	}
	for _, r := range id {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
