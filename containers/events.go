package containers

import (
	"maps"

	"github.com/urun/urun/config"
	"github.com/urun/urun/events"
)

// Emit records a container event about st in the event log, with
// Docker's attributes: the container's labels, image, name and attrs,
// given as key, value pairs. It reads the labels from the container's
// image record.
func Emit(cfg *config.Config, st State, action string, attrs ...string) {
	EmitLabeled(cfg, st, NewLabelSource(cfg).Of(Container{State: st}), action, attrs...)
}

// EmitLabeled is Emit with the container's labels at hand.
func EmitLabeled(cfg *config.Config, st State, labels map[string]string, action string, attrs ...string) {
	a := maps.Clone(labels)
	if a == nil {
		a = map[string]string{}
	}
	a["image"] = st.Image
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	events.Record(cfg, events.Event{Type: events.Container, Action: action, ID: st.ID, Name: st.Name, Attributes: a})
}
