package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// NeedsFuseOverlayfs reports whether the layers under graphRoot must be
// mounted with fuse-overlayfs. The storage library's overlay driver writes
// "true" to overlay/.has-mount-program once it has unpacked layers for a
// mount program: such layers mark deleted files with ".wh.NAME" files and
// opaque directories with ".wh..wh..opq", which fuse-overlayfs honours and
// the kernel's overlay shows as ordinary files. Otherwise whiteouts are 0/0
// character devices and opaque directories carry user.overlay.opaque, which
// the kernel's overlay (mounted with "userxattr") and fuse-overlayfs both
// honour.
func NeedsFuseOverlayfs(graphRoot string) bool {
	data, err := os.ReadFile(filepath.Join(graphRoot, "overlay", ".has-mount-program"))
	return err == nil && strings.TrimSpace(string(data)) == "true"
}

// RootfsDriver is the rootfs driver that mounts the layers under
// graphRoot: the configured one, unless the layers were unpacked for
// fuse-overlayfs (a kernel without overlay in user namespaces), which only
// fuse-overlayfs can mount.
func RootfsDriver(graphRoot, configured string) (string, error) {
	if !NeedsFuseOverlayfs(graphRoot) {
		return configured, nil
	}
	if configured == "native" {
		return "", fmt.Errorf("rootfs driver native: the image store %s was filled for fuse-overlayfs: use --rootfs-driver auto or fuse-overlayfs, or another --root", graphRoot)
	}
	return "fuse-overlayfs", nil
}
