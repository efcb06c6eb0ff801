package fuseoverlay

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
)

// FuseOverlayfs mounts with the fuse-overlayfs program, for kernels whose
// overlay cannot be mounted in a user namespace. Its daemon runs in the
// container's PID namespace and ends with it.
type FuseOverlayfs struct{}

func (FuseOverlayfs) Name() string { return "fuse-overlayfs" }

func (FuseOverlayfs) Mount(l Layers, target string) error {
	path, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		return errors.New("fuse-overlayfs is needed but not installed: install the fuse-overlayfs package (apt-get install fuse-overlayfs)")
	}
	opts, err := l.options()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, "-o", opts, target)
	cmd.Dir = l.Dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mount fuse-overlayfs on %s: %w: %s", target, err, strings.TrimSpace(string(out)))
	}
	return nil
}
