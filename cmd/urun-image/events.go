//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package main

import (
	"bytes"
	"io"
	"strings"

	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/storage"

	"github.com/urun/urun/config"
	"github.com/urun/urun/events"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
)

// imageEvent records an image event as Docker's: ID is the image's
// sha256:ID (or, for pull and push, the reference), name the reference
// as Docker shows it.
func imageEvent(cfg *config.Config, action, id, name string) {
	if len(id) == 64 && !strings.Contains(id, ":") {
		id = "sha256:" + id
	}
	events.Record(cfg, events.Event{Type: events.Image, Action: action, ID: id, Name: local.Familiar(name)})
}

// familiarRepo is ref's repository as Docker shows it: alpine.
func familiarRepo(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return reference.FamiliarName(named)
	}
	return ref
}

// imageIDOf is the id of the stored image name (a name or id), "" if none.
func imageIDOf(store storage.Store, name string) string {
	if img, err := store.Image(name); err == nil {
		return img.ID
	}
	return ""
}

// removalEvents passes rmi's and image prune's report on to out and
// records an untag or delete event for each of its Docker lines
// ("Untagged: NAME", "Deleted: sha256:ID"). ids are the stored images'
// ids by name, taken before the removal.
type removalEvents struct {
	cfg     *config.Config
	out     io.Writer
	ids     map[string]string
	pending []byte
}

// newRemovalEvents notes the store's images' names before a removal.
func newRemovalEvents(cfg *config.Config, store storage.Store, out io.Writer) *removalEvents {
	r := &removalEvents{cfg: cfg, out: out, ids: map[string]string{}}
	if images, err := store.Images(); err == nil {
		for _, img := range images {
			for _, n := range img.Names {
				r.ids[n] = img.ID
			}
		}
	}
	return r
}

func (r *removalEvents) Write(p []byte) (int, error) {
	r.pending = append(r.pending, p...)
	for {
		i := bytes.IndexByte(r.pending, '\n')
		if i < 0 {
			break
		}
		r.line(string(r.pending[:i]))
		r.pending = r.pending[i+1:]
	}
	if r.out == nil {
		return len(p), nil
	}
	return r.out.Write(p)
}

// line records the event of one line of the report; image prune's are
// in lower case.
func (r *removalEvents) line(l string) {
	if len(l) > 0 {
		l = strings.ToUpper(l[:1]) + l[1:]
	}
	if name, ok := strings.CutPrefix(l, "Untagged: "); ok {
		id := r.ids[name]
		if full, err := local.Normalize(name); err == nil && id == "" {
			id = r.ids[full]
		}
		if id == "" {
			id = name
		}
		imageEvent(r.cfg, "untag", id, name)
	} else if id, ok := strings.CutPrefix(l, "Deleted: "); ok {
		imageEvent(r.cfg, "delete", id, id)
	}
}

// loadEvents records a load event for each image loaded.
func loadEvents(cfg *config.Config, loaded []image.Loaded) {
	for _, l := range loaded {
		name := l.ID
		if len(l.Names) > 0 {
			name = l.Names[0]
		}
		imageEvent(cfg, "load", l.ID, name)
	}
}

// saveEvents records a save event for each image saved, once all were.
func saveEvents(cfg *config.Config, store storage.Store, refs []string, err error) {
	if err != nil {
		return
	}
	for _, ref := range refs {
		id := imageIDOf(store, ref)
		if id == "" {
			if full, err := local.Normalize(ref); err == nil {
				id = imageIDOf(store, full)
			}
		}
		imageEvent(cfg, "save", id, ref)
	}
}
