package rootfs

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Native mounts the kernel's overlay file system. In a user namespace it
// needs Linux 5.11 or later and the userxattr option, which keeps overlay's
// own metadata in user.overlay.* extended attributes.
type Native struct{}

func (Native) Name() string { return "native" }

func (Native) Mount(l Layers, target string) error {
	extra := []string{"userxattr"}
	if l.Volatile {
		extra = append(extra, "volatile")
	}
	opts, err := l.options(extra...)
	if err != nil {
		return err
	}
	// The kernel takes mount options up to a page.
	if len(opts) >= os.Getpagesize() {
		return fmt.Errorf("overlay options are %d bytes, over the kernel's limit of a page: the image has too many layers", len(opts))
	}
	if l.Dir != "" {
		if err := unix.Chdir(l.Dir); err != nil {
			return fmt.Errorf("enter layer directory %s: %w", l.Dir, err)
		}
	}
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay on %s: %w", target, err)
	}
	return nil
}
