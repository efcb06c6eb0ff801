//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"archive/tar"
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	digest "github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/pkg/compression"
)

// archiveKind is what an input to `urun load` holds.
type archiveKind int

const (
	dockerArchive archiveKind = iota + 1 // manifest.json (docker save, podman save, skopeo docker-archive:)
	ociArchive                           // oci-layout and index.json (oci-archive:)
)

// archiveContents is what a scan of an archive found.
type archiveContents struct {
	kind  archiveKind
	files map[string]bool // every entry's cleaned name
	// manifest is docker-archive's manifest.json.
	manifest []dockerManifestItem
}

type dockerManifestItem struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// maxTarTrailer bounds what may follow the end of a tar archive (its two
// zero blocks): tar pads to its record size (10 KiB by default, 1 MiB with
// -b 2048), but a stream that goes on past that is no archive.
const maxTarTrailer = 4 << 20

// loadHint is what `urun load` takes.
const loadHint = "give an archive written by urun save, docker save, podman save or skopeo (docker-archive or oci-archive)"

// readArchive opens the archive (the file input, else stdin), recognises
// its format from its first bytes (gzip, bzip2, xz, zstd or a tar header
// with a valid checksum) and scans it whole (scanTar). It returns the path
// of the archive as an uncompressed tar: input itself when it already is
// one, else a copy spooled in tmp while it is scanned (of stdin, or
// decompressed: docker load also takes gzip, and bzip2, xz and zstd are
// as easy). Junk is refused after its first block; a spool that fills its
// file system stops with a message naming it. what names the input in
// messages.
func readArchive(input string, stdin io.Reader, tmp, what string) (string, *archiveContents, error) {
	var r io.Reader = stdin
	if input != "" {
		f, err := os.Open(input)
		if err != nil {
			return "", nil, fmt.Errorf("open %s: %w", input, err)
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if head, err := br.Peek(1); len(head) == 0 {
		if err != nil && !errors.Is(err, io.EOF) {
			return "", nil, fmt.Errorf("read %s: %w", what, err)
		}
		return "", nil, fmt.Errorf("%s is empty: %s", what, loadHint)
	}
	algo, decompress, stream, err := compression.DetectCompressionFormat(br)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", what, err)
	}
	format := ""
	var decompressed *readErrors
	if decompress != nil {
		rc, err := decompress(stream)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %s data is damaged: %w", what, algo.Name(), err)
		}
		defer rc.Close()
		decompressed = &readErrors{r: rc}
		stream = decompressed
		format = algo.Name() + "-compressed "
	}
	tarStream := bufio.NewReaderSize(stream, 64<<10)
	truncated := func() error {
		return fmt.Errorf("%s is truncated: its %s data ends early (copy the whole file again)", what, algo.Name())
	}
	if err := checkTarStart(tarStream, what, format, loadHint, true); err != nil {
		if decompressed != nil && decompressed.err != nil {
			return "", nil, truncated()
		}
		return "", nil, err
	}
	if decompress == nil && input != "" {
		c, err := scanArchive(input, what)
		return input, c, err
	}

	out := filepath.Join(tmp, "input.tar")
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", nil, explainNoSpace(fmt.Errorf("spool %s: %w", what, err), tmp)
	}
	defer f.Close()
	spool := &writeErrors{w: f}
	tee := io.TeeReader(tarStream, spool)
	c, err := scanTar(tee, what)
	if err == nil {
		// The zero blocks after the last entry belong to the tar too.
		var n int64
		n, err = io.CopyN(io.Discard, tee, maxTarTrailer+1)
		if errors.Is(err, io.EOF) {
			err = nil
		}
		if err == nil && n > maxTarTrailer {
			err = fmt.Errorf("%s goes on for more than %d MiB after the end of its tar archive: it is no image archive; %s", what, maxTarTrailer>>20, loadHint)
		}
	}
	if cerr := f.Close(); spool.err == nil && cerr != nil {
		spool.err = cerr
	}
	switch {
	case spool.err != nil:
		return "", nil, explainNoSpace(fmt.Errorf("spool %s to %s: %w", what, out, spool.err), tmp)
	case err != nil && decompressed != nil && decompressed.err != nil:
		return "", nil, truncated()
	case err != nil:
		return "", nil, err
	}
	return out, c, nil
}

// writeErrors remembers the first error its writer gave.
type writeErrors struct {
	w   io.Writer
	err error
}

func (e *writeErrors) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// checkTarStart checks that r starts with a tar header (a 512-byte block
// whose checksum is right), so that junk is refused after one block
// rather than spooled. format says what compression the input had ("" for
// none); hint tells the user what to give instead. With emptyFails, an
// archive that starts with its end (a block of zeros) is refused too.
func checkTarStart(r *bufio.Reader, what, format, hint string, emptyFails bool) error {
	block, err := r.Peek(tarBlockSize)
	if len(block) < tarBlockSize {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read %s: %w", what, err)
		}
		return fmt.Errorf("%s is not a %star archive (it ends after %d bytes): %s", what, format, len(block), hint)
	}
	if isZeroBlock(block) {
		if emptyFails {
			return fmt.Errorf("%s is an empty tar archive, or no archive (it starts with a block of zeros): %s", what, hint)
		}
		return nil
	}
	if !tarChecksumOK(block) {
		return fmt.Errorf("%s is not a %star archive, nor a gzip, bzip2, xz or zstd compressed one (its first bytes are no tar header): %s", what, format, hint)
	}
	return nil
}

const tarBlockSize = 512

func isZeroBlock(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// tarChecksumOK checks a tar header block's checksum: the sum of its bytes
// with the checksum field (148-155) counted as spaces, stored in octal.
// Old tars summed signed bytes; both sums are accepted, as tar(1) does.
func tarChecksumOK(b []byte) bool {
	field := strings.Trim(string(b[148:156]), " \x00")
	want, err := strconv.ParseInt(field, 8, 64)
	if err != nil {
		return false
	}
	var unsigned, signed int64
	for i, c := range b[:tarBlockSize] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		unsigned += int64(c)
		signed += int64(int8(c))
	}
	return want == unsigned || want == signed
}

// scanArchive is scanTar of the file at p.
func scanArchive(p, what string) (*archiveContents, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return scanTar(f, what)
}

// scanTar reads every header of the tar stream r (skipping file data),
// so that a file that is no tar, or is cut short, is refused before
// anything reaches the store, and tells which kind of archive it is. It
// stops at the tar's end blocks.
func scanTar(r io.Reader, what string) (*archiveContents, error) {
	c := &archiveContents{files: map[string]bool{}}
	var manifestJSON []byte
	tr := tar.NewReader(r)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			switch {
			case n == 0:
				return nil, fmt.Errorf("%s is not a tar archive%s: %s", what, tarDetail(err), loadHint)
			case errors.Is(err, io.ErrUnexpectedEOF):
				return nil, fmt.Errorf("%s is truncated: the tar archive ends in the middle of an entry (copy the whole file again)", what)
			}
			return nil, fmt.Errorf("%s is a damaged tar archive after %d entries: %w", what, n, err)
		}
		name := cleanEntryName(h.Name)
		c.files[name] = true
		if name == "manifest.json" && h.Typeflag == tar.TypeReg {
			if manifestJSON, err = io.ReadAll(io.LimitReader(tr, 64<<20)); err != nil {
				return nil, fmt.Errorf("%s is truncated: reading manifest.json: %w", what, err)
			}
		}
	}
	switch {
	case manifestJSON != nil:
		// Docker 25 and later write both; manifest.json carries RepoTags.
		c.kind = dockerArchive
		if err := json.Unmarshal(manifestJSON, &c.manifest); err != nil {
			return nil, fmt.Errorf("%s: manifest.json is damaged: %w", what, err)
		}
		if len(c.manifest) == 0 {
			return nil, fmt.Errorf("%s holds no image: its manifest.json lists none", what)
		}
		if err := c.checkDockerManifest(what); err != nil {
			return nil, err
		}
	case c.files["index.json"]:
		c.kind = ociArchive
	case len(c.files) == 0:
		return nil, fmt.Errorf("%s is an empty tar archive: it holds no image", what)
	default:
		return nil, fmt.Errorf("%s is a tar archive but no image archive: it has neither manifest.json (docker-archive) nor index.json (oci-archive); to make an image of a file system tarball use urun import", what)
	}
	return c, nil
}

// tarDetail is what the tar reader said of a file that is no tar, when it
// says more than that it is none.
func tarDetail(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader) {
		return ""
	}
	return " (" + err.Error() + ")"
}

func cleanEntryName(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// checkDockerManifest checks that every file manifest.json names is in
// the archive, which the image library would find out only halfway
// through a copy.
func (c *archiveContents) checkDockerManifest(what string) error {
	for i, item := range c.manifest {
		image := fmt.Sprintf("image %d", i+1)
		if len(item.RepoTags) > 0 {
			image = item.RepoTags[0]
		}
		if item.Config == "" {
			return fmt.Errorf("%s: manifest.json gives %s no config", what, image)
		}
		for _, f := range append([]string{item.Config}, item.Layers...) {
			if !c.files[cleanEntryName(f)] {
				return fmt.Errorf("%s is incomplete: manifest.json names %s for %s, which is not in the archive (save the image again)", what, f, image)
			}
		}
	}
	return nil
}

// extractLayout unpacks an oci-archive into dir: regular files and
// directories only, each kept inside dir.
func extractLayout(p, dir, what string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", what, err)
		}
		name := cleanEntryName(h.Name)
		if name == "" {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
				return err
			}
			out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(out, tr)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return fmt.Errorf("unpack %s from %s: %w", name, what, err)
			}
		default:
			return fmt.Errorf("%s: entry %s is a %s; an OCI archive holds only files and directories", what, name, typeName(h.Typeflag))
		}
	}
}

func typeName(t byte) string {
	switch t {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar, tar.TypeBlock:
		return "device"
	case tar.TypeFifo:
		return "fifo"
	}
	return fmt.Sprintf("tar entry of type %q", t)
}

// checkLayout checks that the blobs index.json names, and the config and
// layers of each image manifest, are in the OCI layout dir.
func checkLayout(dir, what string) error {
	var index imgspecv1.Index
	if err := readJSON(filepath.Join(dir, "index.json"), &index); err != nil {
		return fmt.Errorf("%s: index.json: %w", what, err)
	}
	if len(index.Manifests) == 0 {
		return fmt.Errorf("%s holds no image: its index.json lists none", what)
	}
	for _, desc := range index.Manifests {
		if err := checkBlob(dir, desc.Digest, "the manifest", what); err != nil {
			return err
		}
		if !manifestIsImage(desc.MediaType) {
			continue // an index of platforms: the copy chooses one
		}
		data, err := os.ReadFile(blobPath(dir, desc.Digest))
		if err != nil {
			return err
		}
		m, err := manifest.FromBlob(data, desc.MediaType)
		if err != nil {
			return fmt.Errorf("%s: manifest %s is damaged: %w", what, desc.Digest, err)
		}
		if err := checkBlob(dir, m.ConfigInfo().Digest, "the config of manifest "+desc.Digest.String(), what); err != nil {
			return err
		}
		for i, l := range m.LayerInfos() {
			if err := checkBlob(dir, l.Digest, fmt.Sprintf("layer %d of manifest %s", i+1, desc.Digest), what); err != nil {
				return err
			}
		}
	}
	return nil
}

func manifestIsImage(mediaType string) bool {
	return mediaType == imgspecv1.MediaTypeImageManifest || mediaType == manifest.DockerV2Schema2MediaType
}

func checkBlob(dir string, d digest.Digest, role, what string) error {
	if err := d.Validate(); err != nil {
		return fmt.Errorf("%s: %s has a bad digest %q: %w", what, role, d, err)
	}
	if _, err := os.Stat(blobPath(dir, d)); err != nil {
		return fmt.Errorf("%s is incomplete: %s, blob %s, is not in it (save the image again)", what, role, d)
	}
	return nil
}

func blobPath(dir string, d digest.Digest) string {
	return filepath.Join(dir, "blobs", d.Algorithm().String(), d.Encoded())
}

func readJSON(p string, v any) error {
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("damaged: %w", err)
	}
	return nil
}
