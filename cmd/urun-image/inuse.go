//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/local"
)

// lockImagesInUse takes the image use lock exclusively (see
// local.LockUse: `urun run` and `urun create` hold it shared until their
// container's record names its image) and maps the id of each image a
// container (in any state) uses to the containers' names: their layers
// are those containers' lower directories, so rmi and prune must keep
// those images. The caller deletes before it calls unlock, so that no
// container is made of an image meanwhile.
func lockImagesInUse(cfg *config.Config) (used map[string][]string, unlock func(), err error) {
	lock, err := local.LockUse(cfg.GraphRoot, true, cfg.LockWait())
	if err != nil {
		return nil, nil, err
	}
	list, err := containers.List(cfg)
	if err != nil {
		lock.Close()
		return nil, nil, err
	}
	used = map[string][]string{}
	for _, c := range list {
		name := c.Name
		if name == "" {
			name = containers.ShortID(c.ID)
		}
		used[c.ImageID] = append(used[c.ImageID], name)
	}
	return used, func() { lock.Close() }, nil
}
