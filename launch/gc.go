package launch

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
)

// orphanedTransientLayers finds --rm containers' writable layers whose
// urun died before removing them (SIGKILL, a crash, a reboot clearing the
// run root) and drops their run state. The layers hold files of
// subordinate ids, so they are returned for the monitor to delete inside
// the user namespace. A run state directory is locked before its layer is
// created, so a layer without a locked state directory is garbage.
func orphanedTransientLayers(cfg *config.Config) []string {
	entries, err := os.ReadDir(cfg.TransientDir())
	if err != nil {
		return nil
	}
	var orphans []string
	for _, e := range entries {
		stateDir := cfg.ContainerStateDir(e.Name())
		lock, err := containers.Lock(stateDir)
		switch {
		case errors.Is(err, unix.EWOULDBLOCK):
			continue // its urun is alive
		case err == nil:
			// `urun create --rm` makes a layer that waits for its start.
			st, err := containers.ReadState(stateDir)
			if err == nil && st.Status == containers.StatusCreated {
				lock.Close()
				continue
			}
			if err == nil {
				containers.ReleaseName(cfg, st.Name, st.ID)
			}
			os.RemoveAll(stateDir)
			lock.Close()
		case !errors.Is(err, os.ErrNotExist):
			continue
		}
		layer := filepath.Join(cfg.TransientDir(), e.Name())
		if containers.LayerHeld(layer) {
			continue // it runs, though its run state is gone (see containers.HoldLayer)
		}
		orphans = append(orphans, layer)
	}
	return orphans
}
