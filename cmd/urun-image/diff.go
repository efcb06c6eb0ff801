//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"bufio"
	"errors"
	"os"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/request"
)

func prepareDiff(r request.Diff) (work, error) {
	if r.Layer == "" || r.Image == "" {
		return nil, errors.New("urun named no container's layer and image: install urun and urun-image of one version")
	}
	return func(cfg *config.Config) error {
		// urun's record of the image tells its layers: the store itself
		// is not opened.
		changes, err := image.Diff(cfg.GraphRoot, r.Layer, r.Image)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(os.Stdout)
		for _, c := range changes {
			w.WriteString(c.String() + "\n")
		}
		return w.Flush()
	}, nil
}
