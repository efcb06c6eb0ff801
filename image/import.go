//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"archive/tar"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	imgspec "github.com/opencontainers/image-spec/specs-go"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/image/v5/oci/layout"
	"go.podman.io/image/v5/pkg/compression"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// ImportOptions say what `urun import` makes an image of.
type ImportOptions struct {
	// Source is a tar file of a root file system (plain, gzip, bzip2, xz
	// or zstd), an http(s) URL of one, or "-" for Stdin.
	Source string
	Stdin  io.Reader
	// Reference names the image (NAME[:TAG]); "" leaves it untagged.
	Reference string
	Changes   []string // Dockerfile instructions (ApplyChanges)
	Message   string   // the history entry's comment
	Platform  Platform // zero: the host's
	Progress  io.Writer
}

// Import makes a one-layer image of a root file system tarball and stores
// it with urun's record. The image is built as an OCI layout in a
// temporary directory (the layer uncompressed, as the store keeps it
// anyway) and copied into the store like any other. The image library's
// tarball: transport would do the same but reads stdin into memory, labels
// xz and bzip2 layers as gzip and fills the config itself; here the
// stream goes to disk once, checked to be a whole tar on the way.
func Import(ctx context.Context, store storage.Store, opts ImportOptions) (*local.Image, error) {
	var named reference.Named
	if opts.Reference != "" {
		var err error
		if named, err = importName(opts.Reference); err != nil {
			return nil, err
		}
	}
	cfg, err := importConfig(opts)
	if err != nil {
		return nil, err
	}
	tmp, err := commandTempDir(store.GraphRoot(), "import")
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer tmp.Remove()
	dir := tmp.Path
	layer, err := writeImportLayer(ctx, dir, opts)
	if err != nil {
		return nil, explainNoSpace(err, dir)
	}
	cfg.RootFS = imgspecv1.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}}
	configDigest, err := writeImportLayout(dir, cfg, opts.Message, layer)
	if err != nil {
		return nil, fmt.Errorf("import: write the image: %w", err)
	}

	src, err := layout.NewReference(dir, "")
	if err != nil {
		return nil, err
	}
	var dst types.ImageReference
	if named != nil {
		dst, err = istorage.Transport.NewStoreReference(store, named, "")
	} else {
		dst, err = istorage.Transport.NewStoreReference(store, nil, configDigest.Encoded())
	}
	if err != nil {
		return nil, err
	}
	done, err := copyIntoStore(ctx, store, src, dst, opts.Progress)
	if err != nil {
		return nil, fmt.Errorf("import: store the image: %w", err)
	}
	defer done()
	img, err := istorage.Transport.GetStoreImage(store, dst)
	if err != nil {
		return nil, fmt.Errorf("import: find the stored image: %w", err)
	}
	return writeRecord(ctx, store, img, nil)
}

// importName checks the name an imported image gets: a tag, no digest.
func importName(ref string) (reference.Named, error) {
	name, err := local.Normalize(ref)
	if err != nil {
		return nil, err
	}
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", ref, err)
	}
	if _, ok := named.(reference.Digested); ok {
		return nil, fmt.Errorf("import names an image NAME[:TAG], not by digest: %q", ref)
	}
	return named, nil
}

// importConfig is the new image's config: the platform, --change's run
// configuration and a history entry.
func importConfig(opts ImportOptions) (*imgspecv1.Image, error) {
	now := time.Now().UTC()
	p := opts.Platform
	if p.OS == "" {
		p = Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH}
	}
	cfg := &imgspecv1.Image{
		Created:  &now,
		Platform: imgspecv1.Platform{OS: p.OS, Architecture: p.Architecture, Variant: p.Variant},
		History:  []imgspecv1.History{{Created: &now, CreatedBy: "urun import", Comment: opts.Message}},
	}
	if err := ApplyChanges(&cfg.Config, opts.Changes); err != nil {
		return nil, err
	}
	return cfg, nil
}

// writeImportLayer stores the source, decompressed, as the layer blob of
// the layout in dir, and returns its descriptor.
func writeImportLayer(ctx context.Context, dir string, opts ImportOptions) (imgspecv1.Descriptor, error) {
	what := opts.Source
	if what == "-" {
		what = "the tarball on stdin"
	}
	in, err := openImportSource(ctx, opts)
	if err != nil {
		return imgspecv1.Descriptor{}, err
	}
	defer in.Close()
	br := bufio.NewReaderSize(in, 64<<10)
	if head, err := br.Peek(1); len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return imgspecv1.Descriptor{}, fmt.Errorf("import: read %s: %w", what, err)
		}
		return imgspecv1.Descriptor{}, fmt.Errorf("import: %s is empty: give a tar archive of a root file system (urun export writes one)", what)
	}
	algo, decompress, stream, err := compression.DetectCompressionFormat(br)
	if err != nil {
		return imgspecv1.Descriptor{}, fmt.Errorf("import: read %s: %w", what, err)
	}
	format := ""
	if decompress != nil {
		rc, err := decompress(stream)
		if err != nil {
			return imgspecv1.Descriptor{}, fmt.Errorf("import: %s: its %s data is damaged: %w", what, algo.Name(), err)
		}
		defer rc.Close()
		stream = rc
		format = algo.Name() + "-compressed "
	}
	// A failing decompressor says more than the tar reader it starves.
	decompressed := &readErrors{r: stream}
	tarStream := bufio.NewReaderSize(decompressed, 64<<10)
	if err := checkTarStart(tarStream, "import: "+what, format, importHint, false); err != nil {
		if decompress != nil && decompressed.err != nil {
			return imgspecv1.Descriptor{}, fmt.Errorf("import: %s is truncated or damaged: its %s data: %w", what, algo.Name(), decompressed.err)
		}
		return imgspecv1.Descriptor{}, err
	}
	stream = tarStream
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return imgspecv1.Descriptor{}, err
	}
	tmp := filepath.Join(blobs, "layer.partial")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return imgspecv1.Descriptor{}, err
	}
	defer f.Close()
	digester := digest.Canonical.Digester()
	counter := &countingWriter{}
	spool := &writeErrors{w: f}
	tee := io.TeeReader(stream, io.MultiWriter(spool, digester.Hash(), counter))
	if err := checkTarStream(tee, what); err != nil {
		switch {
		case spool.err != nil:
			return imgspecv1.Descriptor{}, fmt.Errorf("import: spool %s to %s: %w", what, tmp, spool.err)
		case decompress != nil && decompressed.err != nil:
			return imgspecv1.Descriptor{}, fmt.Errorf("import: %s is truncated or damaged: its %s data: %w", what, algo.Name(), decompressed.err)
		}
		return imgspecv1.Descriptor{}, err
	}
	// The zero blocks after the last entry belong to the tar too, up to
	// a bound: an endless stream of them is no tarball.
	n, err := io.CopyN(io.Discard, tee, maxTarTrailer+1)
	if err != nil && !errors.Is(err, io.EOF) {
		if spool.err != nil {
			return imgspecv1.Descriptor{}, fmt.Errorf("import: spool %s to %s: %w", what, tmp, spool.err)
		}
		return imgspecv1.Descriptor{}, fmt.Errorf("import: read %s: %w", what, err)
	}
	if n > maxTarTrailer {
		return imgspecv1.Descriptor{}, fmt.Errorf("import: %s goes on for more than %d MiB after the end of its tar archive: it is no tarball; %s", what, maxTarTrailer>>20, importHint)
	}
	if err := f.Close(); err != nil {
		return imgspecv1.Descriptor{}, fmt.Errorf("import: spool %s to %s: %w", what, tmp, err)
	}
	d := digester.Digest()
	if err := os.Rename(tmp, filepath.Join(blobs, d.Encoded())); err != nil {
		return imgspecv1.Descriptor{}, err
	}
	return imgspecv1.Descriptor{MediaType: imgspecv1.MediaTypeImageLayer, Digest: d, Size: counter.n}, nil
}

// importHint is what `urun import` takes.
const importHint = "give a tar of a root file system, plain or compressed with gzip, bzip2, xz or zstd"

// readErrors remembers the first error other than io.EOF its reader gave.
type readErrors struct {
	r   io.Reader
	err error
}

func (e *readErrors) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && e.err == nil {
		e.err = err
	}
	return n, err
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// checkTarStream reads the tar stream to its end, so that a file that is
// no tar, or is cut short, is refused before anything reaches the store.
func checkTarStream(r io.Reader, what string) error {
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		_, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		headerOK := err == nil
		if headerOK {
			_, err = io.Copy(io.Discard, tr)
		}
		if err != nil {
			switch {
			case n == 0 && !headerOK:
				return fmt.Errorf("import: %s is not a tar archive%s: %s", what, tarDetail(err), importHint)
			case errors.Is(err, io.ErrUnexpectedEOF):
				return fmt.Errorf("import: %s is truncated: the tar archive ends in the middle of an entry", what)
			}
			return fmt.Errorf("import: %s is a damaged tar archive after %d entries: %w", what, n, err)
		}
	}
}

// openImportSource opens a file, stdin ("-") or an http(s) URL.
func openImportSource(ctx context.Context, opts ImportOptions) (io.ReadCloser, error) {
	switch src := opts.Source; {
	case src == "-":
		return io.NopCloser(opts.Stdin), nil
	case strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://"):
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("import: download %s: %w", src, err)
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			return nil, fmt.Errorf("import: download %s: %s", src, resp.Status)
		}
		return resp.Body, nil
	default:
		f, err := os.Open(src)
		if err != nil {
			return nil, fmt.Errorf("import: %w", err)
		}
		if st, err := f.Stat(); err == nil && st.IsDir() {
			f.Close()
			return nil, fmt.Errorf("import: %s is a directory: give a tar archive (tar -C %s -c . | urun import - NAME)", src, src)
		}
		return f, nil
	}
}

// writeImportLayout writes the config, the manifest and index.json of a
// one-image OCI layout in dir, whose layer blob is there already, and
// returns the config's digest (the store's image id).
func writeImportLayout(dir string, cfg *imgspecv1.Image, comment string, layer imgspecv1.Descriptor) (digest.Digest, error) {
	configDesc, err := writeJSONBlob(dir, imgspecv1.MediaTypeImageConfig, configWithComment{cfg, comment})
	if err != nil {
		return "", err
	}
	m := imgspecv1.Manifest{
		Versioned: imgspec.Versioned{SchemaVersion: 2},
		MediaType: imgspecv1.MediaTypeImageManifest,
		Config:    configDesc,
		Layers:    []imgspecv1.Descriptor{layer},
	}
	manifestDesc, err := writeJSONBlob(dir, imgspecv1.MediaTypeImageManifest, m)
	if err != nil {
		return "", err
	}
	index := imgspecv1.Index{
		Versioned: imgspec.Versioned{SchemaVersion: 2},
		MediaType: imgspecv1.MediaTypeImageIndex,
		Manifests: []imgspecv1.Descriptor{manifestDesc},
	}
	if err := writeJSONFile(filepath.Join(dir, imgspecv1.ImageIndexFile), index); err != nil {
		return "", err
	}
	if err := writeJSONFile(filepath.Join(dir, imgspecv1.ImageLayoutFile), imgspecv1.ImageLayout{Version: imgspecv1.ImageLayoutVersion}); err != nil {
		return "", err
	}
	return configDesc.Digest, nil
}

// configWithComment is an image configuration with Docker's top-level
// "comment" (inspect's .Comment), which `docker import --message` sets
// besides the history entry's and the OCI configuration lacks.
type configWithComment struct {
	*imgspecv1.Image
	Comment string `json:"comment,omitempty"`
}

func writeJSONBlob(dir, mediaType string, v any) (imgspecv1.Descriptor, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return imgspecv1.Descriptor{}, err
	}
	d := digest.FromBytes(data)
	if err := os.WriteFile(filepath.Join(dir, "blobs", "sha256", d.Encoded()), data, 0o600); err != nil {
		return imgspecv1.Descriptor{}, err
	}
	return imgspecv1.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(data))}, nil
}

func writeJSONFile(p string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(p, data, 0o600)
}
