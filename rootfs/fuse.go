package rootfs

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// FuseOverlayfs mounts with the fuse-overlayfs program, for kernels whose
// overlay cannot be mounted in a user namespace. Its daemon runs in the
// container's PID namespace and ends with it.
type FuseOverlayfs struct{}

func (FuseOverlayfs) Name() string { return "fuse-overlayfs" }

// Mount starts fuse-overlayfs in a root of its own: a recursive bind of
// this mount namespace's root. pivot_root moves every process whose root
// is the old root into the new one, and a daemon moved into the file
// system it serves deadlocks on the first path it looks up itself
// (fuse-overlayfs reads xattrs through /proc/self/fd paths while holding
// its one big lock). Its mount is made inside that copy and bound back to
// target; the copy is then detached, kept only by the daemon.
func (FuseOverlayfs) Mount(l Layers, target string) error {
	path, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		return errors.New("fuse-overlayfs is needed but not installed: install the fuse-overlayfs package (apt-get install fuse-overlayfs)")
	}
	var extra []string
	if l.SquashOwners {
		extra = append(extra, "squash_to_root")
	}
	if l.IDMapping != "" {
		extra = append(extra, l.IDMapping)
	}
	opts, err := l.options(extra...)
	if err != nil {
		return err
	}
	root := filepath.Join(filepath.Dir(target), ".fuse-root")
	if err := os.Mkdir(root, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create fuse-overlayfs's root %s: %w", root, err)
	}
	if err := unix.Mount("/", root, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind / for fuse-overlayfs's root: %w", err)
	}
	defer unix.Unmount(root, unix.MNT_DETACH)
	cmd := exec.Command(path, "-o", opts, target)
	cmd.Dir = l.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("mount fuse-overlayfs on %s: %w: %s", target, err, strings.TrimSpace(string(out)))
	}
	if err := unix.Mount(filepath.Join(root, target), target, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind fuse-overlayfs's mount to %s: %w", target, err)
	}
	return nil
}
