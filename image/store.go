//go:build containers_image_openpgp && exclude_graphdriver_btrfs

// Package image pulls images into urun's store and lists them. It links
// the storage and image libraries, whose initialisation alone costs
// milliseconds, so only the helper binary urun-image imports it; `urun`
// itself reads the light records of package image/local.
//
// Everything here runs as root of urun's user namespace (0 → the caller,
// 1..N → the subordinate ids) in a private mount namespace: the overlay
// driver bind-mounts its home privately, and layers must be unpacked with
// the file owners the image gives them, which the user namespace maps to
// the subordinate range on disk.
package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sirupsen/logrus"
	"go.podman.io/storage"
	"go.podman.io/storage/drivers/overlay"
	"go.podman.io/storage/types"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
)

// driverName is the storage driver urun uses. urun mounts its layers itself
// (see local.Image), so the on-disk layout of this driver is part of urun's
// contract with the store.
const driverName = "overlay"

// Open opens the store configured by cfg. The caller must be in urun's
// user namespace and a mount namespace of its own, and must Shutdown the
// store when done.
//
// Where the kernel's overlay works in a user namespace, layers are stored
// in its format: whiteouts are 0/0 character devices and opaque
// directories carry user.overlay.opaque. Both rootfs drivers mount that
// format, so --rootfs-driver never changes the store. Only where the kernel
// cannot, the driver gets fuse-overlayfs as its mount program and writes
// ".wh.NAME" whiteouts, which only fuse-overlayfs understands; the driver
// records that in .has-mount-program for good (local.NeedsFuseOverlayfs).
func Open(cfg *config.Config) (storage.Store, error) {
	opts := types.StoreOptions{
		GraphRoot:       cfg.GraphRoot,
		RunRoot:         cfg.StorageRunRoot(),
		GraphDriverName: driverName,
	}
	mountProgram, err := chooseMountProgram(cfg.RootfsDriver, opts.GraphRoot, opts.RunRoot)
	if err != nil {
		return nil, err
	}
	if mountProgram != "" {
		opts.GraphDriverOptions = append(opts.GraphDriverOptions, "overlay.mount_program="+mountProgram)
	}
	// A caller without subordinate ids has a namespace of one id: every
	// file is stored as theirs, as podman's ignore_chown_errors does.
	if singleIDNamespace() {
		opts.GraphDriverOptions = append(opts.GraphDriverOptions, "overlay.ignore_chown_errors=true")
	}
	// The shared stores' images are the library's read-only image
	// stores: inspect, history, save, tag, commit and build read them in
	// place, after the own store's.
	if stores := openableSharedStores(cfg.AdditionalImageStores, cfg.GraphRoot); len(stores) > 0 {
		opts.GraphDriverOptions = append(opts.GraphDriverOptions, "overlay.additionalimagestore="+strings.Join(stores, ","))
	}
	store, err := storage.GetStore(opts)
	if err != nil {
		return nil, fmt.Errorf("open image store %s: %w", opts.GraphRoot, err)
	}
	// Every image command clears what killed ones left behind.
	tempRoot = cfg.ImageTempDir()
	// The default temporary root is urun's alone; a tmp_dir may be shared.
	SweepTemp(tempRoot, cfg.TmpDir != "")
	if err := SweepOrphanLayers(store); err != nil {
		logrus.Warnf("removing the layers an interrupted pull left: %v", err)
	}
	return store, nil
}

// openableSharedStores are those of stores the storage library can open
// read-only: it fails the whole store on one it cannot read, so a store
// that is missing (not mounted on this node) is left out, and one that is
// not readable is left out with a warning naming its administrator's fix.
func openableSharedStores(stores []string, graphRoot string) []string {
	var out []string
	for _, dir := range stores {
		if dir == graphRoot {
			continue
		}
		if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := sharedStoreReadable(dir); err != nil {
			fmt.Fprintf(os.Stderr, "urun: %v: its images are left out\n", &local.SharedStoreError{Store: dir, Err: err})
			continue
		}
		out = append(out, dir)
	}
	return out
}

// sharedStoreReadable checks the files the storage library opens in a
// read-only image store: its image and layer lists and their locks, which
// it read-locks, and panics if it cannot (a network file system without
// a lock service says ENOLCK). A lock held by the administrator's urun
// (EAGAIN) is one the library waits for.
func sharedStoreReadable(dir string) error {
	for _, f := range []string{"overlay-images/images.lock", "overlay-images/images.json", "overlay-layers/layers.lock", "overlay-layers/layers.json"} {
		file, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			return err
		}
		if strings.HasSuffix(f, ".lock") {
			lock := unix.Flock_t{Type: unix.F_RDLCK, Whence: io.SeekStart}
			err = unix.FcntlFlock(file.Fd(), unix.F_SETLK, &lock)
			if errors.Is(err, unix.EAGAIN) || errors.Is(err, unix.EACCES) {
				err = nil
			}
			if err != nil {
				err = fmt.Errorf("read-lock %s: %w", file.Name(), err)
			}
		}
		file.Close() // releases the lock
		if err != nil {
			return err
		}
	}
	return nil
}

// Shutdown releases the store, reporting a failure as a wrapped error.
func Shutdown(store storage.Store) error {
	if _, err := store.Shutdown(false); err != nil && !errors.Is(err, storage.ErrLayerUsedByContainer) {
		return fmt.Errorf("close image store: %w", err)
	}
	return nil
}

// chooseMountProgram returns the fuse-overlayfs to give the overlay driver,
// or "" when the kernel's overlay works.
func chooseMountProgram(driver, graphRoot, runRoot string) (string, error) {
	home := filepath.Join(graphRoot, driverName)
	if err := os.MkdirAll(home, 0o700); err != nil {
		return "", fmt.Errorf("create image store %s: %w", home, err)
	}
	// This test mounts the kernel's overlay once and caches the answer in
	// the run root; it also answers false for a store that was filled for
	// a mount program.
	native, err := overlay.SupportsNativeOverlay(home, filepath.Join(runRoot, driverName))
	if err != nil {
		return "", fmt.Errorf("check the kernel's overlay for image store %s: %w", graphRoot, err)
	}
	switch {
	case native:
		return "", nil
	case driver == "native" && local.NeedsFuseOverlayfs(graphRoot):
		return "", fmt.Errorf("rootfs driver native: the image store %s was filled for fuse-overlayfs (its layers use .wh. whiteout files the kernel's overlay does not understand): set rootfs_driver to auto or fuse-overlayfs, or use another --root", graphRoot)
	case driver == "native":
		return "", fmt.Errorf("rootfs driver native: the kernel's overlay filesystem does not work in a user namespace on %s (Linux 5.11 or later is needed, and a backing filesystem with d_type that is not itself overlay): set rootfs_driver to fuse-overlayfs or auto", home)
	default:
		return fuseOverlayfs("the kernel's overlay filesystem does not work here")
	}
}

func fuseOverlayfs(why string) (string, error) {
	prog, err := exec.LookPath("fuse-overlayfs")
	if err != nil {
		return "", fmt.Errorf("%s, and fuse-overlayfs is not in $PATH: install it (apt-get install fuse-overlayfs, dnf install fuse-overlayfs)", why)
	}
	return prog, nil
}

// singleIDNamespace says whether this process's user namespace maps one
// uid alone.
func singleIDNamespace() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	f := strings.Fields(string(data))
	return err == nil && len(f) == 3 && f[2] == "1"
}
