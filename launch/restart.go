package launch

import (
	"time"

	"github.com/urun/urun/containers"
)

// Restart back-off, as Docker's: the first restart waits 100 ms, each
// next one twice as long, at most a minute; a run of 10 s or more starts
// the back-off over.
const (
	firstBackoff      = 100 * time.Millisecond
	maxBackoff        = time.Minute
	resetBackoffAfter = 10 * time.Second
)

// runWithRestarts runs the container and starts it again as its restart
// policy says, waiting longer each time. It returns the last exit status.
// stop, if set, ends the wait between restarts early and for good.
func (c *container) runWithRestarts(io streams, started func(error), exited func(int), stop <-chan struct{}) (int, error) {
	backoff := firstBackoff
	for {
		begin := time.Now()
		code, err := c.runOnce(io, started)
		started = nil
		if exited != nil {
			exited(code)
		}
		if !c.registered || c.state.Remove {
			return code, err
		}
		st, rerr := containers.ReadState(c.stateDir)
		c.reloadUpdated(st)
		if rerr != nil || !c.settings.Restart.Restarts(code, st.RestartCount, st.StoppedByUser) {
			return code, err
		}
		if time.Since(begin) >= resetBackoffAfter {
			backoff = firstBackoff
		}
		if _, err := containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
			st.Status = containers.StatusRestarting
			st.RestartCount++
			return nil
		}); err != nil {
			return code, err
		}
		select {
		case <-time.After(backoff):
		case <-stop:
			containers.Update(c.cfg, c.stateDir, func(st *containers.State) error {
				st.Status = containers.StatusExited
				return nil
			})
			return code, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
