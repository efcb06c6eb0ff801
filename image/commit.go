//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/storage"

	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/layertar"
	"github.com/urun/urun/trace"
)

// CommitOptions say what `urun commit` makes an image of.
type CommitOptions = request.Commit

// Commit stores an image of a container, as `docker commit` does: the
// container's image with one more layer, the container's writable layer,
// and the container's run configuration with opts.Changes applied. The
// layer is streamed from the container's upper directory into the store's
// new layer directory, with no copy in between.
func Commit(ctx context.Context, store storage.Store, opts CommitOptions) (*local.Image, error) {
	var names []string
	if opts.Reference != "" {
		named, err := importName(opts.Reference)
		if err != nil {
			return nil, err
		}
		names = []string{named.String()}
	}
	base, err := store.Image(opts.Image)
	if err != nil {
		return nil, fmt.Errorf("find the container's image %s: %w", shortID(opts.Image), err)
	}
	baseConfig, err := ReadConfigFile(store, base)
	if err != nil {
		return nil, err
	}
	layers, err := storedLayers(store, base.TopLayer)
	if err != nil {
		return nil, fmt.Errorf("read the layers of image %s: %w", shortID(base.ID), err)
	}
	now := time.Now().UTC()
	// Checked before the layer is written, which may take a while.
	config, err := commitConfig(baseConfig, opts, len(layers), now)
	if err != nil {
		return nil, err
	}
	trace.Mark("commit", "base-read")
	layer, err := WriteLayer(store, base.TopLayer, func(ld *LayerDir) error {
		err := copyUpperDir(ld, opts.Layer)
		trace.Mark("commit", "layer-unpacked")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store the changes of container %s: %w", opts.Container, err)
	}
	trace.Mark("commit", "layer-stored")
	config.RootFS.DiffIDs = append(config.RootFS.DiffIDs, layer.DiffID)
	config.Comment = opts.Message
	data, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("encode the image's configuration: %w", err)
	}
	return StoreImage(ctx, store, NewImage{
		Config:   data,
		Layers:   append(layers, *layer),
		TopLayer: layer.ID,
		Format:   opts.Format,
		Created:  now,
	}, names)
}

// copyUpperDir writes the layer the overlay upper directory upper holds
// into the new layer's directory: the upper directory's tar stream, piped
// straight into the store's unpacking, which writes it in the store's
// format.
func copyUpperDir(ld *LayerDir, upper string) error {
	pr, pw := io.Pipe()
	written := make(chan error, 1)
	go func() {
		_, err := layertar.Write(pw, upper)
		pw.CloseWithError(err)
		written <- err
	}()
	err := ld.Untar(pr)
	// Unblocks the writer if the unpacking stopped early.
	pr.CloseWithError(io.ErrClosedPipe)
	if werr := <-written; werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
		return fmt.Errorf("read the container's changes: %w", werr)
	}
	if err != nil {
		return fmt.Errorf("unpack the container's changes: %w", err)
	}
	return nil
}

// storedLayers are the layers from the base up to top, as the store
// records them.
func storedLayers(store storage.Store, top string) ([]NewLayer, error) {
	var layers []NewLayer
	for id := top; id != ""; {
		l, err := store.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", id, err)
		}
		if l.UncompressedDigest == "" {
			return nil, fmt.Errorf("layer %s: the store does not know its digest", id)
		}
		layers = append(layers, NewLayer{ID: l.ID, DiffID: l.UncompressedDigest, Size: max(l.UncompressedSize, 0)})
		id = l.Parent
	}
	slices.Reverse(layers)
	return layers, nil
}

// commitConfig is the committed image's configuration but for its new
// layer's diff id: the base image's, with the container's run
// configuration and --change, and a history entry for the new layer.
// baseLayers is how many layers the base image has.
func commitConfig(base *ConfigFile, opts CommitOptions, baseLayers int, now time.Time) (*ConfigFile, error) {
	c := *base
	c.Created, c.Author = &now, opts.Author
	c.Config = runConfigOf(base.Config, opts.Config)
	if len(opts.Changes) > 0 {
		oc := ociConfig(c.Config)
		if err := ApplyChanges(&oc, opts.Changes); err != nil {
			return nil, err
		}
		setOCIConfig(&c.Config, oc)
	}
	c.RootFS = ConfigRootFS{Type: "layers", DiffIDs: slices.Clone(base.RootFS.DiffIDs)}
	if len(c.RootFS.DiffIDs) != baseLayers {
		return nil, fmt.Errorf("the container's image lists %d layers in its configuration but has %d", len(c.RootFS.DiffIDs), baseLayers)
	}
	c.History = slices.Clone(base.History)
	if len(c.History) == 0 {
		// An image without history: an entry for each of its layers keeps
		// the new entry beside the new layer.
		for range baseLayers {
			c.History = append(c.History, imgspecv1.History{Created: base.Created})
		}
	}
	c.History = append(c.History, imgspecv1.History{Created: &now, Author: opts.Author, CreatedBy: opts.CreatedBy, Comment: opts.Message})
	return &c, nil
}

// runConfigOf is the base image's run configuration with what the
// container runs with put in its place; what a container cannot change
// (Healthcheck, OnBuild, Shell, Volumes...) stays the image's.
func runConfigOf(base imagedoc.Config, ctr request.RunConfig) imagedoc.Config {
	c := base
	c.User, c.WorkingDir, c.StopSignal = ctr.User, ctr.WorkingDir, ctr.StopSignal
	c.Env, c.Entrypoint, c.Cmd = slices.Clone(ctr.Env), slices.Clone(ctr.Entrypoint), slices.Clone(ctr.Cmd)
	c.Labels = maps.Clone(ctr.Labels)
	c.ExposedPorts = maps.Clone(base.ExposedPorts)
	for _, p := range ctr.ExposedPorts {
		if c.ExposedPorts == nil {
			c.ExposedPorts = map[string]struct{}{}
		}
		c.ExposedPorts[p] = struct{}{}
	}
	c.Volumes = maps.Clone(base.Volumes)
	return c
}

// ociConfig and setOCIConfig carry the fields --change sets between
// Docker's configuration and OCI's, which ApplyChanges takes.
func ociConfig(c imagedoc.Config) imgspecv1.ImageConfig {
	return imgspecv1.ImageConfig{
		User: c.User, ExposedPorts: c.ExposedPorts, Env: c.Env, Entrypoint: c.Entrypoint, Cmd: c.Cmd,
		Volumes: c.Volumes, WorkingDir: c.WorkingDir, Labels: c.Labels, StopSignal: c.StopSignal,
	}
}

func setOCIConfig(c *imagedoc.Config, oc imgspecv1.ImageConfig) {
	c.User, c.ExposedPorts, c.Env, c.Entrypoint, c.Cmd = oc.User, oc.ExposedPorts, oc.Env, oc.Entrypoint, oc.Cmd
	c.Volumes, c.WorkingDir, c.Labels, c.StopSignal = oc.Volumes, oc.WorkingDir, oc.Labels, oc.StopSignal
}
