// Package local reads and writes urun's record of each stored image: its
// config and the directories of its layers. `urun run` reads only this
// record, so the start of a container needs neither the storage nor the
// image library (their package initialisation alone costs milliseconds).
// The image helper writes a record after every change to the store.
package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/image/imagedoc"
)

// Layer is one unpacked layer in the store.
type Layer struct {
	ID string `json:"id"`
	// Dir is the layer's unpacked tree (the overlay driver's diff dir).
	Dir string `json:"dir"`
	// Link is the driver's short name for Dir under LinkDir, which keeps a
	// many-layer lowerdir option under the kernel's page-size limit.
	Link string `json:"link,omitempty"`
}

// Image is what a container needs to know of its image.
type Image struct {
	ID     string   `json:"id"`
	Names  []string `json:"names"`
	Digest string   `json:"digest,omitempty"`
	// Layers are ordered from the base layer up.
	Layers []Layer `json:"layers"`
	// LinkDir is the directory that Layer.Link names are relative to.
	LinkDir string      `json:"link_dir,omitempty"`
	Config  ImageConfig `json:"config"`
	// LastTagTime is when `urun tag` last named the image (inspect's
	// Metadata.LastTagTime), zero if never.
	LastTagTime time.Time `json:"last_tag_time,omitzero"`
	// Store is the read-only shared store (UseSharedStores) the record was
	// found in; "" for the caller's own.
	Store string `json:"-"`
}

// ImageConfig is the part of the OCI image configuration urun uses.
type ImageConfig struct {
	Architecture string    `json:"architecture,omitempty"`
	OS           string    `json:"os,omitempty"`
	Created      string    `json:"created,omitempty"`
	Config       RunConfig `json:"config"`
}

// RunConfig is the OCI image configuration's "config" object.
type RunConfig struct {
	User         string              `json:"User,omitempty"`
	ExposedPorts map[string]struct{} `json:"ExposedPorts,omitempty"`
	Env          []string            `json:"Env,omitempty"`
	Entrypoint   []string            `json:"Entrypoint,omitempty"`
	Cmd          []string            `json:"Cmd,omitempty"`
	Volumes      map[string]struct{} `json:"Volumes,omitempty"`
	WorkingDir   string              `json:"WorkingDir,omitempty"`
	Labels       map[string]string   `json:"Labels,omitempty"`
	StopSignal   string              `json:"StopSignal,omitempty"`
	// Healthcheck is Docker's HEALTHCHECK, for the containers' health
	// checks (package health); OCI's configuration has none.
	Healthcheck *imagedoc.Healthcheck `json:"Healthcheck,omitempty"`
}

// ErrNotFound means no stored image has that name or id.
var ErrNotFound = errors.New("image not known locally")

// Dir is where the records live under a graph root.
func Dir(graphRoot string) string { return filepath.Join(graphRoot, "urun-images") }

func recordPath(graphRoot, id string) string {
	return filepath.Join(Dir(graphRoot), id+".json")
}

func namesPath(graphRoot string) string {
	return filepath.Join(Dir(graphRoot), "names.json")
}

// Find returns the stored image called name (a normalized reference such
// as docker.io/library/alpine:latest), or with that id or id prefix: in
// graphRoot, else in the shared stores (UseSharedStores).
func Find(graphRoot, name string) (*Image, error) {
	img, err := find(graphRoot, name)
	if !errors.Is(err, ErrNotFound) || len(sharedStores) == 0 {
		return img.onSharedLayers(), err
	}
	return findShared(sharedStores, graphRoot, err, func(store string) (*Image, error) { return find(store, name) })
}

func find(graphRoot, name string) (*Image, error) {
	names, err := readNames(graphRoot)
	if err != nil {
		return nil, err
	}
	id, ok := names[name]
	if !ok {
		id, err = idByPrefix(graphRoot, name)
		if err != nil {
			return nil, err
		}
	}
	return read(graphRoot, id)
}

// Read returns the record of image id: in graphRoot, else in the shared
// stores (UseSharedStores).
func Read(graphRoot, id string) (*Image, error) {
	img, err := read(graphRoot, id)
	if !errors.Is(err, ErrNotFound) || len(sharedStores) == 0 {
		return img.onSharedLayers(), err
	}
	return findShared(sharedStores, graphRoot, err, func(store string) (*Image, error) { return read(store, id) })
}

func read(graphRoot, id string) (*Image, error) {
	data, err := os.ReadFile(recordPath(graphRoot, id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read image record: %w", err)
	}
	img := &Image{}
	if err := json.Unmarshal(data, img); err != nil {
		return nil, fmt.Errorf("image record %s is damaged (pull the image again): %w", recordPath(graphRoot, id), err)
	}
	return img, nil
}

func idByPrefix(graphRoot, prefix string) (string, error) {
	prefix = strings.TrimPrefix(prefix, "sha256:")
	if len(prefix) < 3 || strings.ContainsAny(prefix, "/:.") {
		return "", ErrNotFound
	}
	entries, err := os.ReadDir(Dir(graphRoot))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("list image records: %w", err)
	}
	var found string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || !strings.HasPrefix(id, prefix) || id == "names" {
			continue
		}
		if found != "" {
			return "", fmt.Errorf("image id prefix %q is ambiguous: give more of the id", prefix)
		}
		found = id
	}
	if found == "" {
		return "", ErrNotFound
	}
	return found, nil
}

func readNames(graphRoot string) (map[string]string, error) {
	names := map[string]string{}
	data, err := os.ReadFile(namesPath(graphRoot))
	if errors.Is(err, os.ErrNotExist) {
		return names, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read image names: %w", err)
	}
	if err := json.Unmarshal(data, &names); err != nil {
		return nil, fmt.Errorf("image names %s are damaged (pull again to rewrite them): %w", namesPath(graphRoot), err)
	}
	return names, nil
}

// Write stores img's record and points its names at it; a name another
// image had moves to img. The caller holds the storage library's lock, so
// writers do not race; readers see the old or the new file, never half.
func Write(graphRoot string, img *Image) error {
	if err := os.MkdirAll(Dir(graphRoot), 0o700); err != nil {
		return fmt.Errorf("create image record directory: %w", err)
	}
	if err := atomicfile.WriteJSON(recordPath(graphRoot, img.ID), img); err != nil {
		return err
	}
	names, err := readNames(graphRoot)
	if err != nil {
		names = map[string]string{}
	}
	for _, n := range img.Names {
		names[n] = img.ID
	}
	return atomicfile.WriteJSON(namesPath(graphRoot), names)
}

// Remove drops the record of image id and every name pointing at it.
func Remove(graphRoot, id string) error {
	names, err := readNames(graphRoot)
	if err != nil {
		names = map[string]string{}
	}
	for n, nid := range names {
		if nid == id {
			delete(names, n)
		}
	}
	if err := atomicfile.WriteJSON(namesPath(graphRoot), names); err != nil {
		return err
	}
	if err := os.Remove(recordPath(graphRoot, id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove image record: %w", err)
	}
	return nil
}

// LowerDirs lists the image's layers top first, as overlay wants them: by
// their short links relative to the link directory when every layer has
// one (a long lowerdir option would hit the kernel's page limit), else by
// full path.
func (img *Image) LowerDirs() ([]string, string) {
	n := len(img.Layers)
	lower := make([]string, n)
	useLinks := img.LinkDir != ""
	for i, l := range img.Layers {
		lower[n-1-i] = l.Link
		useLinks = useLinks && l.Link != ""
	}
	if useLinks {
		return lower, img.LinkDir
	}
	for i, l := range img.Layers {
		lower[n-1-i] = l.Dir
	}
	return lower, ""
}
