package containers

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
)

// LabelSource finds containers' labels. urun has no --label: a
// container's labels are its image's, as Docker's container inherits
// them. Each image's record is read once, and only when asked.
type LabelSource struct {
	graphRoot string
	byImage   map[string]map[string]string
}

// NewLabelSource reads labels from the store of cfg.
func NewLabelSource(cfg *config.Config) *LabelSource {
	return &LabelSource{graphRoot: cfg.GraphRoot, byImage: map[string]map[string]string{}}
}

// Of returns c's labels; none when its image is no longer stored.
func (s *LabelSource) Of(c Container) map[string]string {
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
