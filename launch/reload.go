package launch

import "github.com/urun/urun/containers"

// reloadUpdated takes what `urun update` changed in the container's
// settings while it ran (restart policy, limits) before the monitor
// decides on a restart and starts it again.
func (c *container) reloadUpdated(st containers.State) {
	s, err := containers.ReadSettings(c.cfg, st)
	if err != nil {
		return
	}
	c.settings.Restart, c.settings.Resources = s.Restart, s.Resources
}
