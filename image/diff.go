//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"fmt"

	"github.com/urun/urun/image/local"
	"github.com/urun/urun/layertar"
)

// ownMountpoints are where urun mounts onto every container's root file
// system (the /etc files it writes, /proc, /sys and /dev): they land in
// the writable layer, made when the image lacks them or copied up when
// opened to mount onto. `urun diff` leaves them out, as Docker, which
// makes them in a layer of its own, shows none.
var ownMountpoints = []string{"etc/hostname", "etc/hosts", "etc/resolv.conf", "proc", "sys", "dev"}

// Diff lists what a container changed in its image, as `docker diff`
// does: layer is its writable layer (its overlay's upper directory),
// imageID its image. The image's layers are looked at as the overlay
// sees them, top first, through urun's record of the image.
func Diff(graphRoot, layer, imageID string) ([]layertar.Change, error) {
	img, err := local.Read(graphRoot, imageID)
	if err != nil {
		return nil, fmt.Errorf("read the container's image %s: %w", shortID(imageID), err)
	}
	lower := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		lower[len(img.Layers)-1-i] = l.Dir
	}
	changes, err := layertar.Changes(layer, layertar.Below(lower), ownMountpoints...)
	if err != nil {
		return nil, fmt.Errorf("list the container's changes: %w", err)
	}
	return changes, nil
}
