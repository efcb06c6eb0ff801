package containers

import (
	"fmt"

	"github.com/urun/urun/config"
)

// Rename gives container c (which the user called ref) the name newName,
// running or not. The names' lock makes the check that no other container
// has the name and the write one step, as Register does; the state's lock
// keeps the container's monitor from losing the change.
func Rename(cfg *config.Config, c Container, ref, newName string) error {
	if !ValidName(newName) {
		return fmt.Errorf("invalid container name %q: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", newName)
	}
	if newName == c.Name {
		return fmt.Errorf("container %s is already named %q: give another name", ref, newName)
	}
	names, err := lockNames(cfg)
	if err != nil {
		return err
	}
	defer names.unlock()
	if names.taken(newName) {
		return fmt.Errorf("the container name %q is already in use: remove or rename that container, or choose another name", newName)
	}
	if err := names.claim(newName, c.ID); err != nil {
		return err
	}
	if _, err := Update(cfg, c.Dir, func(st *State) error {
		st.Name = newName
		return nil
	}); err != nil {
		names.release(newName, c.ID)
		return fmt.Errorf("rename container %s: %w", ref, err)
	}
	names.release(c.Name, c.ID)
	renamed := c.State
	renamed.Name = newName
	Emit(cfg, renamed, "rename", "oldName", c.Name)
	return nil
}
