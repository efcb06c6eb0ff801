//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	tmp, err := os.MkdirTemp(tempDirFor(opts.Output), ".urun-save-")
	if err != nil {
		return fmt.Errorf("save to %s: create a temporary directory: %w", target, err)
	}
	defer os.RemoveAll(tmp)
	policyContext, err := insecureAcceptAnything()
	if err != nil {
		return err
	}
	defer policyContext.Destroy()

	var written string // the complete archive in tmp
	switch opts.Format {
	case FormatDockerArchive:
		written = filepath.Join(tmp, "archive.tar")
		err = saveDockerArchive(ctx, store, policyContext, written, items)
	case FormatOCIArchive, FormatOCIDir:
		written = filepath.Join(tmp, "layout")
		err = saveOCILayout(ctx, store, policyContext, written, items)
		if err == nil && opts.Format == FormatOCIArchive {
			err = tarDirectory(written, filepath.Join(tmp, "archive.tar"))
			written = filepath.Join(tmp, "archive.tar")
		}
	default:
		return fmt.Errorf("unknown format %q: use docker-archive, oci-archive or oci-dir", opts.Format)
	}
	if err != nil {
		return fmt.Errorf("save to %s: %w", target, err)
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

// saveItem is one image to save and the name to save it under (nil: by
// id, untagged, as Docker does for `docker save ID`).
type saveItem struct {
	img  *storage.Image
	name reference.NamedTagged
}

// resolveForSave finds each image as Resolve does: by name, id or
// unique id prefix.
func resolveForSave(store storage.Store, refs []string) ([]saveItem, error) {
	if len(refs) == 0 {
		return nil, errors.New("name at least one image to save")
	}
	var items []saveItem
	for _, ref := range refs {
		img, name, err := Resolve(store, ref)
		if err != nil {
			return nil, fmt.Errorf("%w (see urun images)", err)
		}
		it := saveItem{img: img}
		if name != "" {
			named, err := reference.ParseNormalizedNamed(name)
			if err != nil {
				return nil, fmt.Errorf("image %q: %w", ref, err)
			}
			// A name by digest has no tag to keep: saved untagged.
			it.name, _ = named.(reference.NamedTagged)
		}
		items = append(items, it)
	}
	return items, nil
}

// tempDirFor is where the archive is written before it is renamed: beside
// the output (same file system), else where the image library puts big
// temporary files.
func tempDirFor(output string) string {
	if output != "" {
		return filepath.Dir(output)
	}
	if d := os.Getenv("TMPDIR"); d != "" {
		return d
	}
	return "/var/tmp"
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

func saveDockerArchive(ctx context.Context, store storage.Store, pc *signature.PolicyContext, path string, items []saveItem) error {
	w, err := archive.NewWriter(nil, path)
	if err != nil {
		return err
	}
	for _, it := range items {
		dst, err := w.NewReference(it.name)
		if err == nil {
			err = copyFromStore(ctx, store, pc, dst, it)
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
func saveOCILayout(ctx context.Context, store storage.Store, pc *signature.PolicyContext, dir string, items []saveItem) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	for _, it := range items {
		name := ""
		if it.name != nil {
			name = it.name.String()
		}
		dst, err := layout.NewReference(dir, name)
		if err != nil {
			return err
		}
		if err := copyFromStore(ctx, store, pc, dst, it); err != nil {
			return err
		}
	}
	return nil
}

func copyFromStore(ctx context.Context, store storage.Store, pc *signature.PolicyContext, dst types.ImageReference, it saveItem) error {
	src, err := istorage.Transport.NewStoreReference(store, nil, it.img.ID)
	if err != nil {
		return err
	}
	if _, err := copy.Image(ctx, pc, dst, src, &copy.Options{}); err != nil {
		what := it.img.ID[:12]
		if it.name != nil {
			what = reference.FamiliarString(it.name)
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
