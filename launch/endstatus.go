package launch

import "github.com/urun/urun/containers"

// endStatus is the status recorded when a start ends: exited, or, as
// Docker's, created when the command never started (not found, not
// executable; its exit code and error say why), so that a fixed image or
// a later `urun start` finds it as made, not as having run. A --rm
// container's record is removed anyway; created would keep it waiting.
func (c *container) endStatus() string {
	if c.neverRan && !c.state.Remove {
		return containers.StatusCreated
	}
	return containers.StatusExited
}
