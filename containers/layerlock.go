package containers

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The lock on a container's run state says that it runs, but the run
// state lives in the run root, which a reboot clears and the end of the
// last login session removes ($XDG_RUNTIME_DIR) while a detached container
// may still run. So the urun that runs a container (the foreground `urun
// run`, or the monitor) also holds a lock on its writable layer, which
// lives in the store: a container whose run state is gone but whose layer
// is held still runs, and is neither started again nor deleted.

// holdLayerWait bounds how long HoldLayer waits out another urun looking
// at the layer's lock (LayerHeld holds it for an instant).
const holdLayerWait = time.Second

// HoldLayer takes the lock on the writable layer directory layer, for as
// long as the returned file stays open (nil if it could not be taken:
// the run state's lock still says the container runs).
func HoldLayer(layer string) *os.File {
	f, err := os.OpenFile(layer, os.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil
	}
	deadline := time.Now().Add(holdLayerWait)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) || time.Now().After(deadline) {
			f.Close()
			return nil
		}
		time.Sleep(time.Millisecond)
	}
}

// LayerHeld reports whether a urun holds the lock on the writable layer
// directory layer, so that its container runs (see locked).
func LayerHeld(layer string) bool { return locked(layer) }
