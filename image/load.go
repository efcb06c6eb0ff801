//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/oci/layout"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
)

// LoadOptions say where `urun load` reads.
type LoadOptions struct {
	// Input is a docker-archive or oci-archive file (plain or
	// compressed), or an OCI layout directory; "" reads Stdin.
	Input string
	Stdin io.Reader
	// Progress receives the copy's progress report; nil loads silently.
	Progress io.Writer
}

// Loaded is one image `urun load` stored.
type Loaded struct {
	ID    string
	Names []string // full names, as the store keeps them; none for an untagged image
}

// Load stores every image of an archive, with its names, and writes
// urun's record of each. The archive is checked whole before anything
// reaches the store (a tar, not cut short, every blob it names present);
// an image whose copy still fails leaves no layer of its own behind.
// Images loaded before a failure stay and are returned with the error.
func Load(ctx context.Context, store storage.Store, opts LoadOptions) ([]Loaded, error) {
	what := "the archive on stdin"
	if opts.Input != "" {
		what = opts.Input
		if st, err := os.Stat(opts.Input); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		} else if st.IsDir() {
			return loadLayout(ctx, store, opts, opts.Input, what)
		}
	}
	tmp, err := commandTempDir(store.GraphRoot(), "load")
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	defer tmp.Remove()
	plain, contents, err := readArchive(opts.Input, opts.Stdin, tmp.Path, what)
	if err != nil {
		return nil, err
	}
	if contents.kind == ociArchive {
		dir := filepath.Join(tmp.Path, "layout")
		if err := extractLayout(plain, dir, what); err != nil {
			return nil, explainNoSpace(err, tmp.Path)
		}
		return loadLayout(ctx, store, opts, dir, what)
	}
	return loadDockerArchive(ctx, store, opts, plain, what)
}

func loadDockerArchive(ctx context.Context, store storage.Store, opts LoadOptions, p, what string) ([]Loaded, error) {
	r, err := archive.NewReader(nil, p)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer r.Close()
	groups, err := r.List()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	var loaded []Loaded
	for _, refs := range groups {
		var names []reference.Named
		for _, ref := range refs {
			if n := ref.DockerReference(); n != nil {
				names = append(names, n)
			}
		}
		l, err := loadOne(ctx, store, opts, refs[0], names)
		if err != nil {
			return loaded, fmt.Errorf("load from %s: %w", what, err)
		}
		loaded = append(loaded, *l)
	}
	return loaded, nil
}

// loadLayout loads every image index.json of an OCI layout lists, named
// by its io.containerd.image.name annotation (docker save's) or its
// org.opencontainers.image.ref.name when that is a full name.
func loadLayout(ctx context.Context, store storage.Store, opts LoadOptions, dir, what string) ([]Loaded, error) {
	if err := checkLayout(dir, what); err != nil {
		return nil, err
	}
	var index imgspecv1.Index
	if err := readJSON(filepath.Join(dir, "index.json"), &index); err != nil {
		return nil, fmt.Errorf("%s: index.json: %w", what, err)
	}
	var loaded []Loaded
	for i, desc := range index.Manifests {
		src, err := layout.NewIndexReference(dir, i)
		if err != nil {
			return loaded, fmt.Errorf("load from %s: %w", what, err)
		}
		var names []reference.Named
		if n := layoutName(desc); n != nil {
			names = append(names, n)
		}
		l, err := loadOne(ctx, store, opts, src, names)
		if err != nil {
			return loaded, fmt.Errorf("load from %s: %w", what, err)
		}
		loaded = append(loaded, *l)
	}
	return loaded, nil
}

func layoutName(desc imgspecv1.Descriptor) reference.Named {
	for _, key := range []string{"io.containerd.image.name", imgspecv1.AnnotationRefName} {
		s := desc.Annotations[key]
		if s == "" {
			continue
		}
		// ref.name is often a bare tag ("latest", "v1") of no
		// repository: the image then loads untagged.
		if key == imgspecv1.AnnotationRefName && !strings.ContainsAny(s, "/:") {
			continue
		}
		if named, err := reference.ParseDockerRef(s); err == nil {
			return named
		}
	}
	return nil
}

// loadOne copies one image of an archive into the store under names (the
// first by the copy, the others added), or untagged by its config digest.
func loadOne(ctx context.Context, store storage.Store, opts LoadOptions, src types.ImageReference, names []reference.Named) (*Loaded, error) {
	var dst types.ImageReference
	var err error
	if len(names) > 0 {
		dst, err = istorage.Transport.NewStoreReference(store, names[0], "")
	} else {
		var config digest.Digest
		if config, err = configDigest(ctx, src); err != nil {
			return nil, err
		}
		dst, err = istorage.Transport.NewStoreReference(store, nil, config.Encoded())
	}
	if err != nil {
		return nil, err
	}
	done, err := copyIntoStore(ctx, store, src, dst, opts.Progress)
	if err != nil {
		return nil, err
	}
	defer done()
	img, err := istorage.Transport.GetStoreImage(store, dst)
	if err != nil {
		return nil, fmt.Errorf("find the loaded image: %w", err)
	}
	var more []string
	for _, n := range names[min(1, len(names)):] {
		more = append(more, n.String())
	}
	if len(more) > 0 {
		if err := store.AddNames(img.ID, more); err != nil {
			return nil, fmt.Errorf("name image %s: %w", img.ID, err)
		}
		if img, err = store.Image(img.ID); err != nil {
			return nil, err
		}
	}
	if _, err := writeRecord(ctx, store, img, nil); err != nil {
		return nil, err
	}
	return &Loaded{ID: img.ID, Names: img.Names}, nil
}

// configDigest reads the config digest of src (for an index, of the
// instance the copy will choose), which the store takes as the image id.
func configDigest(ctx context.Context, ref types.ImageReference) (digest.Digest, error) {
	src, err := ref.NewImageSource(ctx, nil)
	if err != nil {
		return "", err
	}
	defer src.Close()
	raw, mime, err := src.GetManifest(ctx, nil)
	if err != nil {
		return "", fmt.Errorf("read the manifest: %w", err)
	}
	var instance *digest.Digest
	if manifest.MIMETypeIsMultiImage(mime) {
		list, err := manifest.ListFromBlob(raw, mime)
		if err != nil {
			return "", fmt.Errorf("read the image index: %w", err)
		}
		d, err := list.ChooseInstance(nil)
		if err != nil {
			return "", err
		}
		instance = &d
	}
	img, err := image.FromUnparsedImage(ctx, nil, image.UnparsedInstance(src, instance))
	if err != nil {
		return "", fmt.Errorf("read the image: %w", err)
	}
	return img.ConfigInfo().Digest, nil
}

// copyIntoStore copies src into the store as dst. Like a pull, it holds
// the store's layer-writes lock (LayerWrites) meanwhile, and on failure
// deletes the layers it committed before failing. On success the caller
// calls done once the image's names and record are written: until then
// the lock keeps SweepOrphanLayers from taking the new image, which may
// have no name yet, for one a killed command left.
func copyIntoStore(ctx context.Context, store storage.Store, src, dst types.ImageReference, progress io.Writer) (done func(), err error) {
	pc, err := insecureAcceptAnything()
	if err != nil {
		return nil, err
	}
	defer pc.Destroy()
	sys := localSystemContext(store, "")
	writes, err := BeginLayerWrites(store, sys)
	if err != nil {
		return nil, err
	}
	_, err = copy.Image(ctx, pc, dst, src, &copy.Options{ReportWriter: progress, SourceCtx: sys, DestinationCtx: sys})
	if err == nil {
		return writes.Done, nil
	}
	defer writes.Done()
	if derr := writes.Discard(); derr != nil {
		logrus.Warnf("deleting the layers the failed copy had stored: %v", derr)
	}
	if errors.Is(err, context.Canceled) {
		return nil, errors.New("interrupted")
	}
	return nil, explainDamagedBlob(err)
}

// explainDamagedBlob says so when a copy failed because a blob's bytes
// are not what the manifest promised (the image library's wording is
// about digests, gzip or flate).
func explainDamagedBlob(err error) error {
	msg := err.Error()
	for _, sign := range []string{"Digest did not match", "digest mismatch", "flate:", "gzip:", "zstd:", "unexpected EOF", "invalid tar header"} {
		if strings.Contains(msg, sign) {
			return fmt.Errorf("the image's data is damaged (a blob does not match its digest, or cannot be unpacked): save or copy it again: %w", err)
		}
	}
	return err
}
