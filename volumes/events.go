package volumes

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/events"
)

// emit records a volume event about v, as Docker's (attribute driver).
func emit(cfg *config.Config, v Volume, action string) {
	events.Record(cfg, events.Event{Type: events.Volume, Action: action, ID: v.Name, Attributes: map[string]string{"driver": Driver}})
}
