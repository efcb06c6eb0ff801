//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/storage"

	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/image/local"
)

// rawConfig is the image configuration blob (Docker's or OCI's) as the
// registry served it.
type rawConfig struct {
	Created      *time.Time      `json:"created"`
	Author       string          `json:"author"`
	Architecture string          `json:"architecture"`
	Variant      string          `json:"variant"`
	OS           string          `json:"os"`
	OSVersion    string          `json:"os.version"`
	Comment      string          `json:"comment"`
	Config       imagedoc.Config `json:"config"`
	RootFS       struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	History []historyEntry `json:"history"`
}

type historyEntry struct {
	Created    *time.Time `json:"created"`
	CreatedBy  string     `json:"created_by"`
	Author     string     `json:"author"`
	Comment    string     `json:"comment"`
	EmptyLayer bool       `json:"empty_layer"`
}

// readConfig returns img's configuration blob, decoded.
func readConfig(ctx context.Context, store storage.Store, img *storage.Image) (*rawConfig, error) {
	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", shortID(img.ID), err)
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("image %s: read it from the store: %w", shortID(img.ID), err)
	}
	defer src.Close()
	blob, err := src.ConfigBlob(ctx)
	if err != nil {
		return nil, fmt.Errorf("image %s: read its configuration: %w", shortID(img.ID), err)
	}
	cfg := &rawConfig{}
	if err := json.Unmarshal(blob, cfg); err != nil {
		return nil, fmt.Errorf("image %s: decode its configuration: %w", shortID(img.ID), err)
	}
	return cfg, nil
}

// Inspect builds the `docker image inspect` document of img.
func Inspect(ctx context.Context, store storage.Store, img *storage.Image) (*imagedoc.Image, error) {
	cfg, err := readConfig(ctx, store, img)
	if err != nil {
		return nil, err
	}
	tags, digests := repoTagsAndDigests(references(store, img), img)
	doc := &imagedoc.Image{
		ID:           "sha256:" + img.ID,
		RepoTags:     tags,
		RepoDigests:  digests,
		Comment:      cfg.Comment,
		Author:       cfg.Author,
		Config:       cfg.Config,
		Architecture: cfg.Architecture,
		Variant:      cfg.Variant,
		Os:           cfg.OS,
		OsVersion:    cfg.OSVersion,
		Size:         imageSize(store, img),
		RootFS:       imagedoc.RootFS{Type: cfg.RootFS.Type, Layers: cfg.RootFS.DiffIDs},
		Metadata:     imagedoc.Metadata{LastTagTime: time.Time{}.Format(time.RFC3339Nano)},
	}
	if rec, err := local.Read(store.GraphRoot(), img.ID); err == nil && !rec.LastTagTime.IsZero() {
		doc.Metadata.LastTagTime = rec.LastTagTime.Format(time.RFC3339Nano)
	}
	if doc.RootFS.Layers == nil {
		doc.RootFS.Layers = []string{}
	}
	if cfg.Created != nil {
		doc.Created = cfg.Created.UTC().Format(time.RFC3339Nano)
	} else {
		doc.Created = img.Created.UTC().Format(time.RFC3339Nano)
	}
	doc.GraphDriver.Name = store.GraphDriverName()
	if img.TopLayer != "" {
		if driver, err := store.GraphDriver(); err == nil {
			doc.GraphDriver.Data, _ = driver.Metadata(img.TopLayer)
		}
	}
	return doc, nil
}

// repoTagsAndDigests splits an image's names as Docker's RepoTags and
// RepoDigests: every repository with a tag also has its manifest's
// digest.
func repoTagsAndDigests(names []string, img *storage.Image) (tags, digests []string) {
	tags, digests = []string{}, []string{}
	for _, n := range names {
		if strings.Contains(n, "@") {
			digests = append(digests, n)
		} else {
			tags = append(tags, n)
		}
	}
	manifests := img.Digests
	if len(manifests) == 0 && img.Digest != "" {
		manifests = append(manifests, img.Digest)
	}
	for _, t := range tags {
		repo, _ := splitTag(t)
		for _, d := range manifests {
			if rd := repo + "@" + d.String(); !slices.Contains(digests, rd) {
				digests = append(digests, rd)
			}
		}
	}
	return tags, digests
}

// imageSize is the size of the image's layers unpacked, as Docker's
// Size; the store's own account when a layer's is unknown.
func imageSize(store storage.Store, img *storage.Image) int64 {
	var total int64
	for id := img.TopLayer; id != ""; {
		l, err := store.Layer(id)
		if err != nil || l.UncompressedSize <= 0 {
			if n, err := store.ImageSize(img.ID); err == nil {
				return n
			}
			return -1
		}
		total += l.UncompressedSize
		id = l.Parent
	}
	return total
}

// InspectRefs returns the document of each image refs names, in order;
// a ref that names none has NotFound set.
func InspectRefs(ctx context.Context, store storage.Store, refs []string) []imagedoc.Result {
	out := make([]imagedoc.Result, 0, len(refs))
	for _, ref := range refs {
		r := imagedoc.Result{Ref: ref}
		img, _, err := Resolve(store, ref)
		if err == nil {
			r.Image, err = Inspect(ctx, store, img)
		}
		switch {
		case err == nil:
		case errorsIsNoSuchImage(err):
			r.NotFound = true
			r.Error = err.Error()
		default:
			r.Error = err.Error()
		}
		out = append(out, r)
	}
	return out
}
