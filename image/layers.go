//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/image"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/blobinfocache"
	"go.podman.io/image/v5/pkg/blobinfocache/memory"
	"go.podman.io/image/v5/signature"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	chunkedToc "go.podman.io/storage/pkg/chunked/toc"
	"go.podman.io/storage/pkg/lockfile"

	"github.com/urun/urun/trace"
)

// The image library's pull into the store (copy.Image) downloads each
// layer into a temporary file, decompressing it once to compute its
// DiffID, and then, one layer after the other, decompresses the file
// again and unpacks it. fetchLayers does the layers' part of a pull
// faster, before copy.Image runs: every layer at once, each unpacked while
// it downloads (one pass: digest, decompress, digest, tar-split, untar)
// into a staging directory of the store, outside the store's lock; the
// staged layers are then committed in order, each a rename, as soon as
// the ones below are. copy.Image then finds every layer already stored
// under the id it would have given it, and only writes the configuration,
// the manifest and the image, so the store is exactly what the library
// would have made of the image.
//
// Safety is the library's: the layers are unpacked by its chrooted untar
// (chrootarchive, which neutralises paths leading out of the layer), and
// a layer is committed only when its compressed digest matches the
// manifest and its uncompressed digest matches the configuration's
// DiffID. A staged layer that is not committed is removed; one a killed
// pull left behind is removed by the storage library (its staging lock is
// free) when the store is next shut down.
//
// It is only an optimisation: for an image it does not handle (a manifest
// list with several variants of the platform, schema 1, encrypted or
// zstd:chunked layers, foreign layers, a policy that needs signatures) or
// a layer that fails (a digest mismatch, a hostile tarball, a network
// error), it leaves the rest to copy.Image, which reports the failure as
// usual. Only a cancelled pull ends it with an error.

// maxParallelLayers is how many layers are downloaded and unpacked at
// once: copy.Image's default for downloads.
const maxParallelLayers = 6

// fastLayer is one layer of the image being fetched.
type fastLayer struct {
	index  int
	info   types.BlobInfo // from the manifest
	diffID digest.Digest  // from the configuration
	id     string         // the store's id of it: the chain id on its parent
	parent string         // "" for the base layer

	present   bool                            // stored already: nothing to do
	committed bool                            // stored by fetchLayers
	staged    *drivers.DriverWithDifferOutput // once unpacked
	err       error
	done      chan struct{} // closed when staged or err is set
}

// fetchLayers downloads and stores the layers of the image src names (see
// above), telling report. It returns an error only when ctx is cancelled
// or the registry sent a blob longer than its descriptor or stalled
// (pullguard.go); stored is whether every layer is now in the store.
func fetchLayers(ctx context.Context, store storage.Store, srcRef types.ImageReference, sys *types.SystemContext, policy *signature.PolicyContext, report *pullReport) (stored bool, _ error) {
	layers, src, err := planLayers(ctx, store, srcRef, sys, policy)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		logrus.Debugf("fetch layers of %s ahead of the copy: %v", srcRef.StringWithinTransport(), err)
		return false, nil
	}
	defer src.Close()
	trace.Mark("pull", "manifest-and-config")
	report.start(layers)
	defer report.finish()

	// A failed layer stops the others: copy.Image takes over.
	fetchCtx, stop := context.WithCancel(ctx)
	defer stop()
	// The persistent blob info cache (SQLite) would take a transaction,
	// with an fsync, for every download: one at a time, tens of
	// milliseconds each. What the pull teaches it is written once the
	// layers are stored (rememberLayers).
	cache := memory.New()
	sem := make(chan struct{}, maxParallelLayers)
	var wg sync.WaitGroup
	for _, l := range layers {
		if l.present {
			close(l.done)
			continue
		}
		wg.Go(func() {
			defer close(l.done)
			select {
			case sem <- struct{}{}:
			case <-fetchCtx.Done():
				l.err = fetchCtx.Err()
				return
			}
			defer func() { <-sem }()
			l.staged, l.err = stageLayer(fetchCtx, store, src, cache, l, report)
		})
	}

	// Commit in order, each layer as soon as it and those below it are
	// ready; after a failure, only clean up.
	var failed error
	for _, l := range layers {
		<-l.done
		switch {
		case failed != nil || l.err != nil:
			if l.staged != nil {
				cleanupStaged(store, l.staged)
			}
			if failed == nil {
				failed = fmt.Errorf("layer %d (%s): %w", l.index+1, l.info.Digest, l.err)
				stop()
			}
		case l.present:
		default:
			if err := commitLayer(store, l); err != nil {
				cleanupStaged(store, l.staged)
				failed = fmt.Errorf("layer %d (%s): commit: %w", l.index+1, l.info.Digest, err)
				stop()
				continue
			}
			l.committed = true
			trace.Mark("pull", fmt.Sprintf("layer%d-committed", l.index+1))
			report.stored(l.info.Digest)
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	rememberLayers(sys, layers)
	var fault *registryFaultError
	if errors.As(failed, &fault) {
		// Fetching it again would meet the same registry. The fault
		// names the layer.
		return false, fault
	}
	if failed != nil {
		// copy.Image fetches it again and says what is wrong.
		logrus.Debugf("fetch layers of %s ahead of the copy: %v", srcRef.StringWithinTransport(), failed)
		return false, nil
	}
	return true, nil
}

// rememberLayers records in the persistent blob info cache, as copy.Image
// would have, the DiffID of each layer blob fetched, which lets later
// copies (a push, say) reuse what the store holds.
func rememberLayers(sys *types.SystemContext, layers []*fastLayer) {
	if !slices.ContainsFunc(layers, func(l *fastLayer) bool { return l.committed }) {
		return
	}
	cache := blobinfocache.DefaultCache(sys)
	// Open keeps one connection for all the records (a method of the
	// library's caches that is not in the public interface).
	if c, ok := cache.(interface {
		Open()
		Close()
	}); ok {
		c.Open()
		defer c.Close()
	}
	for _, l := range layers {
		if l.committed {
			cache.RecordDigestUncompressedPair(l.info.Digest, l.diffID)
		}
	}
	trace.Mark("pull", "blob-info-cache")
}

// planLayers reads the manifest and configuration of the image src names,
// as copy.Image would choose it, and lists its layers with their ids; it
// fails for an image fetchLayers leaves to copy.Image.
func planLayers(ctx context.Context, store storage.Store, srcRef types.ImageReference, sys *types.SystemContext, policy *signature.PolicyContext) (_ []*fastLayer, _ types.ImageSource, retErr error) {
	src, err := srcRef.NewImageSource(ctx, sys)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if retErr != nil {
			src.Close()
		}
	}()
	top := image.UnparsedInstance(src, nil)
	if ok, err := policy.IsRunningImageAllowed(ctx, top); !ok || err != nil {
		return nil, nil, fmt.Errorf("the signature policy does not simply allow it: %v", err)
	}
	raw, mimeType, err := top.Manifest(ctx)
	if err != nil {
		return nil, nil, err
	}
	unparsed := top
	if manifest.MIMETypeIsMultiImage(mimeType) {
		instance, err := chooseInstance(raw, mimeType, sys)
		if err != nil {
			return nil, nil, err
		}
		unparsed = image.UnparsedInstance(src, &instance)
		if ok, err := policy.IsRunningImageAllowed(ctx, unparsed); !ok || err != nil {
			return nil, nil, fmt.Errorf("the signature policy does not simply allow it: %v", err)
		}
	}
	img, err := image.FromUnparsedImage(ctx, sys, unparsed)
	if err != nil {
		return nil, nil, err
	}
	_, mimeType, err = img.Manifest(ctx)
	if err != nil {
		return nil, nil, err
	}
	switch mimeType {
	case manifest.DockerV2Schema2MediaType, imgspecv1.MediaTypeImageManifest:
	default:
		return nil, nil, fmt.Errorf("manifest type %s", mimeType)
	}
	config, err := img.OCIConfig(ctx)
	if err != nil {
		return nil, nil, err
	}
	infos := img.LayerInfos()
	if len(infos) == 0 || len(infos) != len(config.RootFS.DiffIDs) {
		return nil, nil, fmt.Errorf("%d layers for %d DiffIDs", len(infos), len(config.RootFS.DiffIDs))
	}
	layers := make([]*fastLayer, len(infos))
	parent := ""
	for i, info := range infos {
		if err := fetchable(info); err != nil {
			return nil, nil, fmt.Errorf("layer %d: %w", i+1, err)
		}
		diffID := config.RootFS.DiffIDs[i]
		if err := diffID.Validate(); err != nil || diffID.Algorithm() != digest.Canonical {
			return nil, nil, fmt.Errorf("layer %d: DiffID %q", i+1, diffID)
		}
		l := &fastLayer{index: i, info: info, diffID: diffID, id: chainID(parent, diffID), parent: parent, done: make(chan struct{})}
		if _, err := store.Layer(l.id); err == nil {
			l.present = true
		}
		layers[i] = l
		parent = l.id
	}
	return layers, src, nil
}

// chooseInstance picks the image of a list for sys's platform, as
// copy.Image does, refusing a list with more than one image for that
// platform (copy.Image may prefer one compression over another there).
func chooseInstance(raw []byte, mimeType string, sys *types.SystemContext) (digest.Digest, error) {
	list, err := manifest.ListFromBlob(raw, mimeType)
	if err != nil {
		return "", err
	}
	chosen, err := list.ChooseInstance(sys)
	if err != nil {
		return "", err
	}
	want, err := list.Instance(chosen)
	if err != nil {
		return "", err
	}
	same := 0
	for _, d := range list.Instances() {
		i, err := list.Instance(d)
		if err != nil {
			return "", err
		}
		if samePlatform(i.ReadOnly.Platform, want.ReadOnly.Platform) {
			same++
		}
	}
	if same != 1 {
		return "", fmt.Errorf("%d images for the platform in the list", same)
	}
	return chosen, nil
}

func samePlatform(a, b *imgspecv1.Platform) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant && a.OSVersion == b.OSVersion
}

// fetchable refuses the layers only copy.Image handles.
func fetchable(info types.BlobInfo) error {
	switch info.MediaType {
	case manifest.DockerV2Schema2LayerMediaType, manifest.DockerV2SchemaLayerMediaTypeUncompressed,
		imgspecv1.MediaTypeImageLayer, imgspecv1.MediaTypeImageLayerGzip, imgspecv1.MediaTypeImageLayerZstd:
	default:
		return fmt.Errorf("media type %q", info.MediaType)
	}
	if len(info.URLs) > 0 {
		return errors.New("a foreign layer")
	}
	if toc, err := chunkedToc.GetTOCDigest(info.Annotations); err != nil || toc != nil {
		return errors.New("a zstd:chunked or eStargz layer")
	}
	if err := info.Digest.Validate(); err != nil || info.Digest.Algorithm() != digest.Canonical {
		return fmt.Errorf("digest %q", info.Digest)
	}
	return nil
}

// chainID is the id the image library gives a layer with diffID on
// parent (storage_dest.go's layerID, for a layer not identified by a TOC).
func chainID(parent string, diffID digest.Digest) string {
	if parent == "" {
		return diffID.Encoded()
	}
	return digest.Canonical.FromString(parent + "+" + diffID.Encoded()).Encoded()
}

// commitLayer turns a staged layer into the store's layer l.id on its
// parent. Another pull may have committed it meanwhile: that one is as
// good, and must stay as it is (ApplyStagedLayer would replace the
// directory of a layer that exists, under the containers using it), so
// it is looked for first, under a lock that makes looking and committing
// one step for urun's pulls.
func commitLayer(store storage.Store, l *fastLayer) error {
	lock, err := lockfile.GetLockFile(filepath.Join(store.GraphRoot(), "urun-layer-commit.lock"))
	if err != nil {
		return fmt.Errorf("lock the layer commits: %w", err)
	}
	lock.Lock()
	defer lock.Unlock()
	if _, err := store.Layer(l.id); err == nil {
		cleanupStaged(store, l.staged)
		return nil
	}
	_, err = store.ApplyStagedLayer(storage.ApplyStagedLayerOptions{
		ID:          l.id,
		ParentLayer: l.parent,
		DiffOutput:  l.staged,
		DiffOptions: &drivers.ApplyDiffWithDifferOpts{},
	})
	if errors.Is(err, storage.ErrDuplicateID) {
		cleanupStaged(store, l.staged)
		return nil
	}
	return err
}

func cleanupStaged(store storage.Store, out *drivers.DriverWithDifferOutput) {
	if out.Target == "" {
		return
	}
	if err := store.CleanupStagedLayer(out); err != nil {
		logrus.Warnf("remove the staging directory %s: %v", out.Target, err)
	}
}
