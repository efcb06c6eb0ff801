package netdef

import (
	"github.com/urun/urun/config"
	"github.com/urun/urun/events"
)

// Emit records a network event about n, as Docker's (attributes name
// and type), with attrs given as key, value pairs (container=ID).
func Emit(cfg *config.Config, n Network, action string, attrs ...string) {
	a := map[string]string{"type": "bridge"}
	for i := 0; i+1 < len(attrs); i += 2 {
		a[attrs[i]] = attrs[i+1]
	}
	events.Record(cfg, events.Event{Type: events.Network, Action: action, ID: n.ID, Name: n.Name, Attributes: a})
}

// EmitNamed is Emit for a network known by name or id only.
func EmitNamed(cfg *config.Config, nameOrID, action string, attrs ...string) {
	n, err := Get(cfg, nameOrID)
	if err != nil {
		n = Network{ID: nameOrID, Name: nameOrID}
	}
	Emit(cfg, n, action, attrs...)
}
