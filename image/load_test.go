//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tarFile struct{ name, body string }

func makeTar(t *testing.T, files ...tarFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}))
		_, err := tw.Write([]byte(f.body))
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func gzipped(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(data)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestLoadChecksTheArchiveBeforeStoringAnything(t *testing.T) {
	layer := strings.Repeat("x", 4096)
	good := makeTar(t,
		tarFile{"manifest.json", `[{"Config":"c.json","RepoTags":["busybox:latest"],"Layers":["l1/layer.tar"]}]`},
		tarFile{"c.json", `{}`},
		tarFile{"l1/layer.tar", layer},
	)
	for _, tc := range []struct {
		name  string
		input []byte
		want  string // in the error; "" for success
		kind  archiveKind
	}{
		{"docker archive", good, "", dockerArchive},
		{"gzip-compressed docker archive", gzipped(t, good), "", dockerArchive},
		{"OCI archive", makeTar(t, tarFile{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`}, tarFile{"index.json", `{}`}), "", ociArchive},
		{"empty file", nil, "is empty", 0},
		{"not a tar", []byte("hello, this is a text file and no archive at all\n"), "is not a tar archive", 0},
		{"truncated in a header", good[:1500], "is truncated", 0},
		{"truncated in a layer", good[:4000], "is truncated", 0},
		{"truncated gzip", gzipped(t, good)[:100], "is truncated", 0},
		{"empty tar", makeTar(t), "is an empty tar archive", 0},
		{"tar of something else", makeTar(t, tarFile{"etc/passwd", "root:x:0:0::/root:/bin/sh\n"}), "use urun import", 0},
		{"missing layer", makeTar(t,
			tarFile{"manifest.json", `[{"Config":"c.json","RepoTags":["busybox:latest"],"Layers":["l1/layer.tar"]}]`},
			tarFile{"c.json", `{}`}), "manifest.json names l1/layer.tar for busybox:latest, which is not in the archive", 0},
		{"missing config", makeTar(t, tarFile{"manifest.json", `[{"Config":"c.json","Layers":[]}]`}), "names c.json for image 1", 0},
		{"manifest lists nothing", makeTar(t, tarFile{"manifest.json", `[]`}), "holds no image", 0},
		{"damaged manifest", makeTar(t, tarFile{"manifest.json", `[{`}), "manifest.json is damaged", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			in := filepath.Join(dir, "in")
			require.NoError(t, os.WriteFile(in, tc.input, 0o600))
			_, c, err := readArchive(in, nil, dir, "ARCHIVE")
			if tc.want == "" {
				require.NoError(t, err)
				assert.Equal(t, tc.kind, c.kind)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "ARCHIVE"), "the message names the input: %v", err)
		})
	}
}

func TestLoadChecksTheBlobsOfAnOCILayout(t *testing.T) {
	config := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}`
	cfgDigest := "sha256:" + sha256Hex(config)
	mkManifest := func(layerDigest string) string {
		return `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + cfgDigest + `","size":` + itoa(len(config)) + `},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"` + layerDigest + `","size":3}]}`
	}
	layerDigest := "sha256:" + sha256Hex("abc")
	m := mkManifest(layerDigest)
	index := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + sha256Hex(m) + `","size":` + itoa(len(m)) + `}]}`
	write := func(dir string, blobs ...string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o600))
		for _, b := range blobs {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "blobs", "sha256", sha256Hex(b)), []byte(b), 0o600))
		}
	}
	for _, tc := range []struct {
		name  string
		blobs []string
		want  string
	}{
		{"complete", []string{m, config, "abc"}, ""},
		{"layer missing", []string{m, config}, "layer 1 of manifest"},
		{"config missing", []string{m, "abc"}, "the config of manifest"},
		{"manifest missing", []string{config, "abc"}, "the manifest, blob sha256:" + sha256Hex(m)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			write(dir, tc.blobs...)
			err := checkLayout(dir, "ARCHIVE")
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "ARCHIVE is incomplete")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func sha256Hex(s string) string { return digest.FromString(s).Encoded() }

func itoa(n int) string { return strconv.Itoa(n) }

func TestJunkIsRefusedFromItsFirstBlock(t *testing.T) {
	good := makeTar(t,
		tarFile{"manifest.json", `[{"Config":"c.json","RepoTags":["busybox:latest"],"Layers":[]}]`},
		tarFile{"c.json", `{}`},
	)
	for _, tc := range []struct {
		name  string
		input io.Reader
		want  string
	}{
		{"endless zeros", endlessByte(0), "is an empty tar archive, or no archive"},
		{"endless junk", endlessByte('j'), "is not a tar archive"},
		{"short junk", strings.NewReader("junk"), "it ends after 4 bytes"},
		{"an archive followed by endless zeros", io.MultiReader(bytes.NewReader(good), endlessByte(0)), "goes on for more than 4 MiB after the end of its tar archive"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := &countReader{r: tc.input}
			_, _, err := readArchive("", in, t.TempDir(), "ARCHIVE")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, in.n, int64(maxTarTrailer+1<<20), "bytes read")
		})
	}
}

func TestTarChecksum(t *testing.T) {
	block := makeTar(t, tarFile{"a", "b"})[:512]
	assert.True(t, tarChecksumOK(block))
	spoiled := bytes.Clone(block)
	spoiled[0] ^= 1
	assert.False(t, tarChecksumOK(spoiled))
	assert.False(t, tarChecksumOK(make([]byte, 512)), "a zero block has no checksum")
}

type endlessByte byte

func (b endlessByte) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
