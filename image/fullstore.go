//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"os"
	"path/filepath"

	"go.podman.io/storage"
	"golang.org/x/sys/unix"
)

// roomToRewrite is the free space the storage library needs, beyond a new
// copy of its records, to delete an image: it writes its records anew
// (images.json, layers.json) before it deletes any layer.
const roomToRewrite = 256 << 10

// makeRoomToDelete lets rmi and prune work on a full store, which is how a
// user frees it: when there is no room for the storage library to write
// its records anew, the files of the layers that deleting image id will
// delete (no other image uses them) are deleted first, which frees the
// space; the library then deletes the emptied layers and records it. A
// urun killed in between leaves the image with emptied layers, which the
// next rmi or prune deletes.
func makeRoomToDelete(store storage.Store, id string) {
	root := store.GraphRoot()
	if free, err := freeBytes(root); err != nil || free >= recordsSize(root)+roomToRewrite {
		return
	}
	if store.GraphDriverName() != "overlay" {
		return
	}
	doomed, err := store.DeleteImage(id, false) // what it would delete
	if err != nil {
		return
	}
	for _, layer := range doomed {
		diff := filepath.Join(root, "overlay", layer, "diff")
		entries, _ := os.ReadDir(diff)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(diff, e.Name()))
		}
	}
}

// recordsSize is the size of the storage library's records of images and
// layers, which it writes anew on every change.
func recordsSize(root string) int64 {
	var total int64
	for _, f := range []string{"overlay-images/images.json", "overlay-layers/layers.json"} {
		if st, err := os.Stat(filepath.Join(root, f)); err == nil {
			total += st.Size()
		}
	}
	return total
}

func freeBytes(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * st.Bsize, nil
}
