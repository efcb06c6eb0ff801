//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"go.podman.io/image/v5/copy"
	"go.podman.io/image/v5/docker/archive"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/signature"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	storarchive "go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/idtools"
)

// Archive formats of `urun save`.
const (
	FormatDockerArchive = "docker-archive"
	FormatOCIArchive    = "oci-archive"
	FormatOCIDir        = "oci-dir"
)

// SaveOptions say what `urun save` writes where.
type SaveOptions struct {
	Format string    // FormatDockerArchive (default), FormatOCIArchive or FormatOCIDir
	Output string    // a file (a directory for oci-dir); "" writes the archive to Stdout
	Stdout io.Writer // where the archive goes without Output
	Images []string  // names or ids of stored images
}

// Save writes the images to an archive. Every format holds several
// images: docker-archive lists each with its RepoTags in manifest.json,
// and the OCI layout names each in index.json
// (org.opencontainers.image.ref.name, the full name: pick one with
// skopeo's oci-archive:FILE:NAME). The archive is written to a temporary
// file (or directory) beside Output and renamed once complete, so a
// failure leaves nothing behind.
func Save(ctx context.Context, store storage.Store, opts SaveOptions) error {
	if opts.Format == "" {
		opts.Format = FormatDockerArchive
	}
	if opts.Format == FormatOCIDir && opts.Output == "" {
		return errors.New("--format oci-dir writes a directory: name it with -o DIR")
	}
	items, err := resolveForSave(store, opts.Images)
	if err != nil {
		return err
	}
	target := opts.Output
	if target == "" {
		target = "the archive"
	}
	tmp, err := commandTempDir(store.GraphRoot(), "save")
	if err != nil {
		return fmt.Errorf("save to %s: %w", target, err)
	}
	defer tmp.Remove()
	// The archive is written beside Output, so that the rename is on one
	// file system; the temporary directory names it, so that if this
	// command is killed the next image command removes it.
	work, full := tmp.Path, func(err error) error { return explainNoSpace(err, tmp.Path) }
	if opts.Output != "" {
		dir, err := filepath.Abs(filepath.Dir(opts.Output))
		if err != nil {
			return fmt.Errorf("save to %s: %w", target, err)
		}
		// .urun-save-PID-RANDOM, as the temporary directory is named.
		work = filepath.Join(dir, outsidePrefix+strings.TrimPrefix(filepath.Base(tmp.Path), tempPrefix+"save-"))
		full = func(err error) error { return explainFull(err, dir, "save to another directory") }
		if err := tmp.Outside(work); err != nil {
			return fmt.Errorf("save to %s: %w", target, explainNoSpace(err, tmp.Path))
		}
		if err := os.Mkdir(work, 0o700); err != nil {
			return fmt.Errorf("save to %s: create a temporary directory: %w", target, full(err))
		}
	}
	sys := localSystemContext(store, tmp.Path)
	policyContext, err := insecureAcceptAnything()
	if err != nil {
		return err
	}
	defer policyContext.Destroy()

	var written string // the complete archive in work
	switch opts.Format {
	case FormatDockerArchive:
		written = filepath.Join(work, "archive.tar")
		err = saveDockerArchive(ctx, store, policyContext, sys, written, items)
	case FormatOCIArchive, FormatOCIDir:
		written = filepath.Join(work, "layout")
		err = saveOCILayout(ctx, store, policyContext, sys, written, items)
		if err == nil && opts.Format == FormatOCIArchive {
			err = tarDirectory(written, filepath.Join(work, "archive.tar"))
			written = filepath.Join(work, "archive.tar")
		}
	default:
		return fmt.Errorf("unknown format %q: use docker-archive, oci-archive or oci-dir", opts.Format)
	}
	if err != nil {
		return fmt.Errorf("save to %s: %w", target, full(err))
	}
	if opts.Output == "" {
		return copyFileTo(opts.Stdout, written)
	}
	if opts.Format == FormatOCIDir {
		// rename(2) replaces an empty directory only; a full one stays.
		if err := os.Rename(written, opts.Output); err != nil {
			return fmt.Errorf("save to %s: %w (oci-dir wants a new or empty directory)", opts.Output, err)
		}
		return nil
	}
	if st, err := os.Stat(opts.Output); err == nil && st.IsDir() {
		return fmt.Errorf("save to %s: it is a directory: name a file (or use --format oci-dir)", opts.Output)
	}
	if err := os.Rename(written, opts.Output); err != nil {
		return fmt.Errorf("save to %s: %w", opts.Output, err)
	}
	return nil
}

// saveItem is one image to save and the names to save it under (none:
// by id, untagged, as Docker does for `docker save ID`).
type saveItem struct {
	img   *storage.Image
	names []reference.NamedTagged
}

// resolveForSave finds each image as Resolve does: by name, id or
// unique id prefix. An image named several times is one item with all
// those names, as an archive holds each image once.
func resolveForSave(store storage.Store, refs []string) ([]saveItem, error) {
	if len(refs) == 0 {
		return nil, errors.New("name at least one image to save")
	}
	var items []saveItem
	byID := map[string]int{}
	for _, ref := range refs {
		img, name, err := Resolve(store, ref)
		if err != nil {
			return nil, fmt.Errorf("%w (see urun images)", err)
		}
		i, seen := byID[img.ID]
		if !seen {
			i = len(items)
			byID[img.ID] = i
			items = append(items, saveItem{img: img})
		}
		if name == "" {
			continue
		}
		named, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", ref, err)
		}
		// A name by digest has no tag to keep: saved untagged.
		tagged, ok := named.(reference.NamedTagged)
		if ok && !slices.ContainsFunc(items[i].names, func(n reference.NamedTagged) bool { return n.String() == tagged.String() }) {
			items[i].names = append(items[i].names, tagged)
		}
	}
	return items, nil
}

func insecureAcceptAnything() (*signature.PolicyContext, error) {
	// Local copies between urun's store and files: signature policy is
	// for what comes from registries.
	pc, err := signature.NewPolicyContext(&signature.Policy{Default: signature.PolicyRequirements{signature.NewPRInsecureAcceptAnything()}})
	if err != nil {
		return nil, fmt.Errorf("signature policy: %w", err)
	}
	return pc, nil
}

// saveDockerArchive writes each image once, with all its names in
// RepoTags: a second copy of one image into the archive would find its
// config written already, and the image library then fails to write its
// manifest.
func saveDockerArchive(ctx context.Context, store storage.Store, pc *signature.PolicyContext, sys *types.SystemContext, path string, items []saveItem) error {
	w, err := archive.NewWriter(sys, path)
	if err != nil {
		return err
	}
	for _, it := range items {
		var first reference.NamedTagged
		dstSys := *sys
		if len(it.names) > 0 {
			first = it.names[0]
			dstSys.DockerArchiveAdditionalTags = it.names[1:]
		}
		dst, err := w.NewReference(first)
		if err == nil {
			err = copyFromStore(ctx, store, pc, sys, &dstSys, dst, it)
		}
		if err != nil {
			w.Close()
			return err
		}
	}
	return w.Close()
}

// saveOCILayout writes every image into one OCI layout directory, each
// named in index.json by its full name (untagged: by nothing).
func saveOCILayout(ctx context.Context, store storage.Store, pc *signature.PolicyContext, sys *types.SystemContext, dir string, items []saveItem) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, it := range items {
		names := []string{""}
		if len(it.names) > 0 {
			names = names[:0]
			for _, n := range it.names {
				names = append(names, n.String())
			}
		}
		for _, name := range names {
			dst, err := layout.NewReference(dir, name)
			if err != nil {
				return err
			}
			if err := copyFromStore(ctx, store, pc, sys, sys, dst, it); err != nil {
				return err
			}
		}
	}
	return nil
}

func copyFromStore(ctx context.Context, store storage.Store, pc *signature.PolicyContext, srcSys, dstSys *types.SystemContext, dst types.ImageReference, it saveItem) error {
	src, err := istorage.Transport.NewStoreReference(store, nil, it.img.ID)
	if err != nil {
		return err
	}
	if _, err := copy.Image(ctx, pc, dst, src, &copy.Options{SourceCtx: srcSys, DestinationCtx: dstSys}); err != nil {
		what := it.img.ID[:12]
		if len(it.names) > 0 {
			what = reference.FamiliarString(it.names[0])
		}
		return fmt.Errorf("copy image %s: %w", what, err)
	}
	return nil
}

// tarDirectory writes the OCI layout dir as the tar file out, the way the
// image library's oci-archive does (owned by root, uncompressed).
func tarDirectory(dir, out string) error {
	rc, err := storarchive.TarWithOptions(dir, &storarchive.TarOptions{
		Compression: storarchive.Uncompressed,
		ChownOpts:   &idtools.IDPair{UID: 0, GID: 0},
	})
	if err != nil {
		return fmt.Errorf("archive the OCI layout: %w", err)
	}
	defer rc.Close()
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return fmt.Errorf("archive the OCI layout: %w", err)
	}
	return f.Close()
}

func copyFileTo(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(w, f); err != nil {
		return fmt.Errorf("write the archive to stdout: %w", err)
	}
	return nil
}
