//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// PushOptions change how Push writes to the registry.
type PushOptions struct {
	Access AccessOptions
	// Format is "oci" or "v2s2" (Docker's image manifest, schema 2); ""
	// keeps the stored image's own where the registry takes it.
	Format string
	// Progress receives Docker's report of the push: the image library's
	// bars on a terminal, lines otherwise; nil pushes silently.
	Progress io.Writer
	// NoHeader leaves out "The push refers to repository" (push -a says
	// it once, for the first tag).
	NoHeader bool
}

// Pushed is what Push sent.
type Pushed struct {
	Dest   string // the normalized destination, REGISTRY/REPO:TAG
	Tag    string
	Digest string // of the manifest written
	Size   int    // the manifest's length, as Docker reports it
}

// PushFormats maps --format values to manifest types.
var PushFormats = map[string]string{
	"oci":  imgspecv1.MediaTypeImageManifest,
	"v2s2": manifest.DockerV2Schema2MediaType,
}

// Push copies the stored image src (a name or an id) to the registry
// reference dest; dest "" means src's own name. Layers are compressed with
// gzip on the way; registries.conf and the auth files apply as for a pull.
func Push(ctx context.Context, store storage.Store, src, dest string, opts PushOptions) (*Pushed, error) {
	img, name, err := Resolve(store, src)
	if errors.Is(err, ErrNoSuchImage) {
		return nil, fmt.Errorf("push %s: no such image in urun's store: pull it, or tag a stored image with that name (urun images lists them)", src)
	}
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", src, err)
	}
	if dest == "" {
		if name == "" {
			return nil, fmt.Errorf("push %s: that is an image id, not a name: say where to push it (urun push %s REGISTRY/REPOSITORY:TAG)", src, src)
		}
		dest = name
	}
	destRef, named, err := pushDestination(dest)
	if err != nil {
		return nil, err
	}
	mime := ""
	if opts.Format != "" {
		var ok bool
		if mime, ok = PushFormats[opts.Format]; !ok {
			return nil, fmt.Errorf("push: unknown --format %q: want oci or v2s2", opts.Format)
		}
	}
	srcRef, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", src, err)
	}
	sys := accessSystemContext(opts.Access)
	trustLoopback(sys, reference.Domain(named), opts.Access.TLSVerify)
	sys.BlobInfoCacheDir = blobInfoCacheDir(store)
	// The image library compresses layers into temporary files.
	tmp, err := commandTempDir(store.GraphRoot(), "push")
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", src, err)
	}
	defer tmp.Remove()
	sys.BigFilesTemporaryDir = tmp.Path
	policy, err := loadPolicy(sys)
	if err != nil {
		return nil, fmt.Errorf("push %s: %w", src, err)
	}
	policyContext, err := signature.NewPolicyContext(policy)
	if err != nil {
		return nil, fmt.Errorf("push %s: signature policy: %w", src, err)
	}
	defer policyContext.Destroy()

	if opts.Progress != nil && !opts.NoHeader {
		fmt.Fprintf(opts.Progress, "The push refers to repository [%s]\n", named.Name())
	}
	copyOpts := &copy.Options{
		SourceCtx:             sys,
		DestinationCtx:        sys,
		ForceManifestMIMEType: mime,
	}
	endReport := reportCopy(opts.Progress, copyOpts, "Pushed", "Layer already exists")
	manifestBytes, err := copy.Image(ctx, policyContext, destRef, srcRef, copyOpts)
	endReport()
	if err != nil {
		return nil, explainRegistryError("push "+named.String(), reference.Domain(named), err)
	}
	dgst, err := manifest.Digest(manifestBytes)
	if err != nil {
		return nil, fmt.Errorf("push %s: digest of the written manifest: %w", named, err)
	}
	tag := "latest"
	if t, ok := named.(reference.Tagged); ok {
		tag = t.Tag()
	}
	return &Pushed{Dest: named.String(), Tag: tag, Digest: dgst.String(), Size: len(manifestBytes)}, nil
}

// pushDestination parses dest, a registry reference with a tag (latest
// when it has none).
func pushDestination(dest string) (types.ImageReference, reference.Named, error) {
	if i := strings.Index(dest, "://"); i > 0 || strings.HasPrefix(dest, "oci:") || strings.HasPrefix(dest, "docker-archive:") || strings.HasPrefix(dest, "dir:") {
		return nil, nil, fmt.Errorf("push to %q: urun pushes to registries only (REGISTRY/REPOSITORY[:TAG]); write archives with urun save", dest)
	}
	norm, err := local.Normalize(dest)
	if err != nil {
		return nil, nil, fmt.Errorf("push to %q: %w", dest, err)
	}
	if strings.Contains(norm, "@") {
		return nil, nil, fmt.Errorf("push to %q: a registry names what is pushed by a tag, not a digest: give REPOSITORY:TAG", dest)
	}
	named, err := reference.ParseNormalizedNamed(norm)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid reference format %q: %w", dest, err)
	}
	ref, err := docker.NewReference(named)
	if err != nil {
		return nil, nil, fmt.Errorf("push to %s: %w", norm, err)
	}
	return ref, named, nil
}

// WriteDigestFile writes the pushed manifest's digest to path, as podman's
// --digestfile does.
func WriteDigestFile(path, digest string) error {
	if err := os.WriteFile(path, []byte(digest), 0o644); err != nil {
		return fmt.Errorf("write the digest file: %w", err)
	}
	return nil
}
