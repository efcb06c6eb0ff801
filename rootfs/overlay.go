package rootfs

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"
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
	// SquashOwners shows every file as root's and lets root change them,
	// for layers whose owners the user namespace does not map: only
	// fuse-overlayfs can (its squash_to_root), as the kernel's overlay
	// refuses to copy such files up.
	SquashOwners bool
	// IDMapping are fuse-overlayfs's uidmapping= and gidmapping= options,
	// which show the files' owners shifted (keep-id with subordinate
	// ids); only fuse-overlayfs can.
	IDMapping string
}

// Native mounts the kernel's overlay file system. In a user namespace it
// needs Linux 5.11 or later and the userxattr option, which keeps overlay's
// own metadata in user.overlay.* extended attributes.
type Native struct{}

func (Native) Name() string { return "native" }

func (Native) Mount(l Layers, target string) error {
	if l.IDMapping != "" {
		return errors.New("the kernel's overlay cannot show the files' owners shifted (keep-id): fuse-overlayfs can")
	}
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

// options builds the overlay mount options; fuse-overlayfs takes the
// kernel's.
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
