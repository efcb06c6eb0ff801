// Package rootfs assembles a container's root file system from image
// layers inside the container's user and mount namespaces: with the
// kernel's overlay file system (overlay.go) where the kernel allows it in
// a user namespace, else with fuse-overlayfs (fuse.go). This file holds
// the choice between them (--rootfs-driver).
package rootfs

import "fmt"

// Driver mounts layers at a target directory.
type Driver interface {
	Name() string
	Mount(l Layers, target string) error
}

// ForName returns the driver called name: "native", "fuse-overlayfs", or
// "auto" (native, falling back to fuse-overlayfs).
func ForName(name string) (Driver, error) {
	switch name {
	case "native":
		return Native{}, nil
	case "fuse-overlayfs":
		return FuseOverlayfs{}, nil
	case "auto", "":
		return Auto{}, nil
	}
	return nil, fmt.Errorf("rootfs driver %q: want auto, native or fuse-overlayfs", name)
}

// Auto tries the kernel's overlay and falls back to fuse-overlayfs.
type Auto struct{}

func (Auto) Name() string { return "auto" }

func (Auto) Mount(l Layers, target string) error {
	nativeErr := Native{}.Mount(l, target)
	if nativeErr == nil {
		return nil
	}
	if fuseErr := (FuseOverlayfs{}).Mount(l, target); fuseErr != nil {
		return fmt.Errorf("native overlay failed (%v), and so did the fallback: %w", nativeErr, fuseErr)
	}
	return nil
}
