package launch

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// stopOnTermInForeground makes a foreground `urun run` finish a stop once
// it gets SIGTERM, as a detached container's monitor does (stopOnTerm):
// the relay passes the SIGTERM on, and a container that ignores it (a
// command that is its PID 1 without a handler, as `sleep`) is killed after
// its stop timeout. SIGTERM is how a job ends: scancel and a Slurm time
// limit send it to the job step's processes and SIGKILL KillWait (30s by
// default) later, systemd and CI runners do the same; without this urun
// waited for the SIGKILL, which left the container's run state and
// writable layer behind for the next urun to reap. The returned channel
// closes on SIGTERM (no restart after it); release ends the watch.
func (c *container) stopOnTermInForeground() (stop <-chan struct{}, release func()) {
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, unix.SIGTERM)
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() {
		select {
		case <-terms:
			close(stopped)
			c.stopOnTerm()
		case <-done:
		}
	}()
	return stopped, func() {
		signal.Stop(terms)
		close(done)
	}
}
