package local

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// sharedStores are the read-only image stores (additionalimagestores)
// that Find and Read search after the caller's graph root. Only `urun`
// sets them: the image helper, which writes and resynchronises records,
// must see its own store alone.
var sharedStores []string

// UseSharedStores makes Find and Read look in dirs, in order, for an image
// the caller's store does not have. Their images are used in place: urun
// writes nothing there (no records, no locks).
func UseSharedStores(dirs []string) { sharedStores = dirs }

// SharedStores are the stores UseSharedStores set.
func SharedStores() []string { return sharedStores }

// SharedStoreError says a shared store cannot be read, and what its
// administrator does about it.
type SharedStoreError struct {
	Store string
	Err   error
}

func (e *SharedStoreError) Error() string {
	if errors.Is(e.Err, os.ErrPermission) {
		return fmt.Sprintf("the shared image store %s (additionalimagestores) cannot be read by you: %v; its administrator makes it readable with: %s",
			e.Store, e.Err, ShareCommand(e.Store))
	}
	return fmt.Sprintf("the shared image store %s (additionalimagestores): %v", e.Store, e.Err)
}

func (e *SharedStoreError) Unwrap() error { return e.Err }

// ShareCommand is the shell command that lets every user read the store
// at dir, whose directories the storage library makes private: urun's
// records, the storage library's image and layer lists (which image
// commands such as inspect and save read, with the lists' locks) and the
// directories around its layers. The layers' contents keep the image's
// own modes.
func ShareCommand(dir string) string {
	return fmt.Sprintf("chmod a+rx %[1]s %[1]s/overlay %[1]s/overlay/*/ && chmod -R a+rX %[1]s/urun-images %[1]s/overlay-images %[1]s/overlay-layers && chmod a+r %[1]s/overlay/.has-mount-program", dir)
}

// findShared returns what get finds in the first shared store that has
// it, with its paths under that store; else notFound, or the first error
// other than ErrNotFound that a store gave.
func findShared(stores []string, graphRoot string, notFound error, get func(store string) (*Image, error)) (*Image, error) {
	var firstErr error
	for _, store := range stores {
		if store == graphRoot {
			continue
		}
		img, err := get(store)
		if err == nil {
			img.placeIn(store)
			return img, nil
		}
		if !errors.Is(err, ErrNotFound) && firstErr == nil {
			firstErr = &SharedStoreError{Store: store, Err: err}
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return nil, notFound
}

// onSharedLayers marks an image of the own store whose base layer is a
// shared store's (a shared image the user tagged, or committed or built
// on) as that store's: its layers are mounted as the store's are
// (RootfsFor). nil stays nil.
func (img *Image) onSharedLayers() *Image {
	if img == nil || len(img.Layers) == 0 {
		return img
	}
	for _, store := range sharedStores {
		if strings.HasPrefix(img.Layers[0].Dir, store+"/") {
			img.Store = store
			break
		}
	}
	return img
}

// placeIn marks img as store's and points its layer paths into store: an
// administrator may fill a store in one place (local disk) and copy it to
// where the nodes mount it.
func (img *Image) placeIn(store string) {
	img.Store = store
	img.LinkDir = underStore(store, img.LinkDir)
	for i := range img.Layers {
		img.Layers[i].Dir = underStore(store, img.Layers[i].Dir)
	}
}

func underStore(store, path string) string {
	if path == "" || strings.HasPrefix(path, store+"/") {
		return path
	}
	if i := strings.LastIndex(path, "/overlay/"); i >= 0 {
		return store + path[i:]
	}
	return path
}

// StoreRoot is the graph root img's layers are in: its shared store, else
// the caller's graphRoot.
func (img *Image) StoreRoot(graphRoot string) string {
	if img.Store != "" {
		return img.Store
	}
	return graphRoot
}

// ForeignOwned says whether img comes from a shared store whose files
// belong to ids the caller's user namespace does not map (a store filled
// by root or by another user): its base layer's root directory, the
// puller's root inside, is not the caller's (the layers above may be the
// caller's own, committed on it). In a container those files are
// nobody's: the kernel's overlay lets it read what others may read and
// change nothing.
//
// Root of urun's user namespace (a build in urun-image) sees such an owner
// as the overflow id, the kernel's "unmapped"; the host's root maps all.
func (img *Image) ForeignOwned() bool {
	if img.Store == "" || len(img.Layers) == 0 {
		return false
	}
	var st syscall.Stat_t
	if err := syscall.Stat(img.Layers[0].Dir, &st); err != nil {
		return false
	}
	if os.Getuid() == 0 {
		return !mapsEveryID() && st.Uid == overflowUID()
	}
	return int(st.Uid) != os.Getuid()
}

// mapsEveryID: this user namespace maps every id (the host's, or root's
// identity-mapped one), so no file's owner is foreign.
func mapsEveryID() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	return err == nil && len(strings.Fields(string(data))) == 3 && strings.Fields(string(data))[2] == "4294967295"
}

// overflowUID is the owner the kernel shows for ids the user namespace
// does not map (65534 unless changed).
func overflowUID() uint32 {
	data, err := os.ReadFile("/proc/sys/kernel/overflowuid")
	if err != nil {
		return 65534
	}
	n, err := strconv.ParseUint(strings.TrimSpace(string(data)), 10, 32)
	if err != nil {
		return 65534
	}
	return uint32(n)
}

// RootfsChoice is how a container's layers are mounted.
type RootfsChoice struct {
	Driver string
	// SquashOwners shows every file as root's (fuse-overlayfs's
	// squash_to_root), for layers of ids the caller does not map.
	SquashOwners bool
	// Notice, if set, says what the container cannot do with its image.
	Notice string
}

// RootfsFor chooses the driver for a container of img: that of img's
// store (RootfsDriver); for an image of ids the caller does not map
// (ForeignOwned), fuse-overlayfs showing every file as root's, which lets
// the container change them (it copies them up as its own), unless the
// driver asked for is native or fuse-overlayfs is not installed.
func RootfsFor(img *Image, graphRoot, configured string) (RootfsChoice, error) {
	driver, err := RootfsDriver(img.StoreRoot(graphRoot), configured)
	if err != nil || !img.ForeignOwned() {
		return RootfsChoice{Driver: driver}, err
	}
	if driver != "native" {
		if _, err := exec.LookPath("fuse-overlayfs"); err == nil {
			return RootfsChoice{Driver: "fuse-overlayfs", SquashOwners: true}, nil
		}
	}
	why := "--rootfs-driver native"
	if driver != "native" {
		why = "fuse-overlayfs is not installed"
	}
	return RootfsChoice{Driver: driver, Notice: fmt.Sprintf(
		"the image comes from the shared store %s, whose files belong to ids outside your user namespace, and %s: the container reads them as nobody's and cannot change them or create files in their directories (with fuse-overlayfs installed and --rootfs-driver auto it can)",
		filepath.Clean(img.Store), why)}, nil
}

// RootfsForLayers is RootfsFor for a build stage's layers (lower, top
// first), which have no image record: the store among stores (the shared
// ones) that holds the base layer decides.
func RootfsForLayers(lower, stores []string, graphRoot, configured string) (RootfsChoice, error) {
	img := &Image{}
	if len(lower) > 0 {
		base := lower[len(lower)-1]
		img.Layers = []Layer{{Dir: base}}
		for _, store := range stores {
			if strings.HasPrefix(base, store+"/") {
				img.Store = store
				break
			}
		}
	}
	return RootfsFor(img, graphRoot, configured)
}

// FindInStores is Find in the given read-only stores alone: the image
// helper, which keeps to its own store, looks there to say why it leaves
// an image alone. It returns the store-placed image (Image.Store).
func FindInStores(stores []string, name string) (*Image, error) {
	return findShared(stores, "", ErrNotFound, func(store string) (*Image, error) { return find(store, name) })
}
