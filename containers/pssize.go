package containers

import (
	"io/fs"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
)

// Sizes are what `urun ps -s` shows of a container: its writable layer's
// bytes, and those with its image's layers (Docker's virtual size).
type Sizes struct {
	Writable, Virtual int64
}

// Text is Docker's SIZE column: "2B (virtual 7.8MB)".
func (s Sizes) Text() string {
	return units.HumanSizeWithPrecision(float64(s.Writable), 3) + " (virtual " + units.HumanSizeWithPrecision(float64(s.Virtual), 3) + ")"
}

// SizeOf measures c's writable layer and its image's layers. What the
// caller may not read (a directory of the container's own users with
// mode 0700) is left out: the figures are at least that large.
func SizeOf(cfg *config.Config, c Container, imageSizes map[string]int64) Sizes {
	s := Sizes{Writable: treeSize(filepath.Join(LayerDir(cfg, c.State), "diff"))}
	img, ok := imageSizes[c.ImageID]
	if !ok {
		if rec, err := local.Read(cfg.GraphRoot, strings.TrimPrefix(c.ImageID, "sha256:")); err == nil {
			for _, l := range rec.Layers {
				img += treeSize(l.Dir)
			}
		}
		imageSizes[c.ImageID] = img
	}
	s.Virtual = s.Writable + img
	return s
}

// treeSize is the bytes of the regular files and symlinks under dir.
func treeSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() || d.Type()&fs.ModeSymlink != 0 {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
