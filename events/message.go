package events

import (
	"maps"
	"strings"
)

// Message is an event as Docker's API and `docker events --format
// '{{json .}}'` show it. Status, ID and From are the older API's fields,
// which Docker still sets for container and image events.
type Message struct {
	Status   string `json:"status,omitempty"`
	ID       string `json:"id,omitempty"`
	From     string `json:"from,omitempty"`
	Type     string
	Action   string
	Actor    Actor
	Scope    string `json:"scope"`
	Time     int64  `json:"time"`
	TimeNano int64  `json:"timeNano"`
}

// Actor is what the event is about.
type Actor struct {
	ID         string
	Attributes map[string]string
}

// Message returns e in Docker's shape.
func (e Event) Message() Message {
	attrs := maps.Clone(e.Attributes)
	if e.Name != "" {
		if attrs == nil {
			attrs = map[string]string{}
		}
		attrs["name"] = e.Name
	}
	if attrs == nil {
		attrs = map[string]string{}
	}
	m := Message{
		Type: e.Type, Action: e.Action, Actor: Actor{ID: e.ID, Attributes: attrs},
		Scope: "local", Time: e.Time / 1e9, TimeNano: e.Time,
	}
	if e.Type == Container || e.Type == Image {
		m.Status, m.ID = e.Action, e.ID
		if e.Type == Container {
			m.From = attrs["image"]
		}
	}
	return m
}

// Name is the actor's name attribute.
func (m Message) Name() string { return m.Actor.Attributes["name"] }

// BaseAction is the action without what follows a colon: "exec_start"
// of "exec_start: sh -c date", "health_status" of "health_status: healthy".
func (m Message) BaseAction() string {
	action, _, _ := strings.Cut(m.Action, ":")
	return action
}
