// Package rootfs assembles a container's root file system from image
// layers inside the container's user and mount namespaces: with the
// kernel's overlay file system where the kernel allows it in a user
// namespace, else with fuse-overlayfs.
package rootfs

import (
	"errors"
	"fmt"
	"strings"
)

// Layers are the directories of one overlay.
type Layers struct {
	// Lower are read-only layers, top first; relative to Dir when it is
	// set (short names keep the mount options under a page).
	Lower []string
	Dir   string
	// Upper and Work are the writable layer and overlay's scratch
	// directory; without Upper the mount is read-only.
	Upper string
	Work  string
	// Volatile drops durability of Upper (no syncs).
	Volatile bool
}

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

// options builds the overlay mount options shared by both drivers.
func (l Layers) options(extra ...string) (string, error) {
	if len(l.Lower) == 0 {
		return "", errors.New("no lower layers")
	}
	for _, p := range append(append([]string{}, l.Lower...), l.Upper, l.Work) {
		if strings.ContainsAny(p, ",:") {
			return "", fmt.Errorf("layer path %q has a ',' or ':', which overlay options cannot carry", p)
		}
	}
	opts := "lowerdir=" + strings.Join(l.Lower, ":")
	// Without an upper layer the mount is read-only (`urun cp` and
	// `urun export` read a container's file system so).
	if l.Upper != "" {
		opts += ",upperdir=" + l.Upper + ",workdir=" + l.Work
	}
	for _, e := range extra {
		opts += "," + e
	}
	return opts, nil
}
