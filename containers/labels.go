package containers

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
)

// LabelSource finds containers' labels. A container's record keeps them
// (its image's with --label's, as Docker's container has); a record
// written before urun kept them has its image's, read once per image and
// only when asked.
type LabelSource struct {
	graphRoot string
	byImage   map[string]map[string]string
}

// NewLabelSource reads labels from the store of cfg.
func NewLabelSource(cfg *config.Config) *LabelSource {
	return &LabelSource{graphRoot: cfg.GraphRoot, byImage: map[string]map[string]string{}}
}

// Of returns c's labels; an older record's none when its image is no
// longer stored.
func (s *LabelSource) Of(c Container) map[string]string {
	if c.Labels != nil {
		return c.Labels
	}
	if s == nil {
		return nil
	}
	labels, ok := s.byImage[c.ImageID]
	if !ok {
		if img, err := local.Read(s.graphRoot, c.ImageID); err == nil {
			labels = img.Config.Config.Labels
		}
		s.byImage[c.ImageID] = labels
	}
	return labels
}
