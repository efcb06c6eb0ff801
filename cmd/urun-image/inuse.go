//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
)

// imagesInUse maps the id of each image a container (in any state) uses
// to the containers' names: their layers are those containers' lower
// directories, so rmi and prune must keep those images.
func imagesInUse(cfg *config.Config) (map[string][]string, error) {
	list, err := containers.List(cfg)
	if err != nil {
		return nil, err
	}
	used := map[string][]string{}
	for _, c := range list {
		name := c.Name
		if name == "" {
			name = c.ID[:config.ShortIDLength]
		}
		used[c.ImageID] = append(used[c.ImageID], name)
	}
	return used, nil
}
