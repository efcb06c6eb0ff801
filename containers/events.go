package containers

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/events"
)

// Emit records a container event about st in the event log, with
// Docker's attributes (image, name) and attrs, given as key, value pairs.
func Emit(cfg *config.Config, st State, action string, attrs ...string) {
	a := map[string]string{"image": st.Image}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	events.Record(cfg, events.Event{Type: events.Container, Action: action, ID: st.ID, Name: st.Name, Attributes: a})
}
